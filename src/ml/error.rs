//! The errors of the model pipeline, written for the admin who trains a model.

/// Why a spec, a training set or a training run was rejected.
#[derive(Debug, thiserror::Error)]
pub enum MlError {
    /// The spec file is not valid TOML or misses a field.
    #[error("model spec is not valid: {0}")]
    SpecSyntax(String),
    /// The spec parsed but says something impossible.
    #[error("model spec field `{field}`: {reason}")]
    Spec { field: String, reason: String },
    /// A feature reads a field that is only filled once the outcome is known.
    #[error(
        "feature `{feature}` leaks the outcome: {reason}; remove it from the spec (it would score \
         well in validation and fail on new records)"
    )]
    LeakyFeature { feature: String, reason: String },
    /// Fewer decided rows of one class than the spec's minimum.
    #[error(
        "too little data to train and calibrate: {positives} positive and {negatives} negative \
         rows; at least {min} of each are needed (the spec's min_per_class)"
    )]
    TooLittleData {
        positives: usize,
        negatives: usize,
        min: usize,
    },
    /// Features that no training row has a value for (a path that matches nothing).
    #[error("features without data: {0}")]
    NoCoverage(String),
    /// A slice of the split holds only one class, so it cannot calibrate or validate.
    #[error(
        "the {slice} slice has {positives} positive and {negatives} negative rows; it needs both \
         (add data or change the split fractions)"
    )]
    OneClassSlice {
        slice: &'static str,
        positives: usize,
        negatives: usize,
    },
    /// The rows do not match the model's features.
    #[error("the rows do not match the model: {0}")]
    Shape(String),
    /// A learning library failed.
    #[error("the {algorithm} candidate failed to fit: {reason}")]
    Fit { algorithm: String, reason: String },
    /// The artifact bytes could not be read or written.
    #[error("model artifact: {0}")]
    Artifact(String),
}

pub type Result<T> = std::result::Result<T, MlError>;

pub(crate) fn spec_err(field: impl Into<String>, reason: impl Into<String>) -> MlError {
    MlError::Spec {
        field: field.into(),
        reason: reason.into(),
    }
}
