//! What training says beside its metrics: a split that could not follow time, and the latest
//! slice of a random split judged on its own.

use chrono::{DateTime, Utc};

use super::metrics;
use super::model::LatestSlice;
use super::row::TrainingSet;
use super::spec::{ModelSpec, SplitOrder};
use super::split::{Split, SplitMethod};

/// A latest slice whose ROC AUC differs from the random slice's by more than this is a warning.
pub const LATEST_AUC_GAP: f64 = 0.05;
/// Fewer latest validation rows than this say nothing.
const MIN_LATEST_ROWS: usize = 20;

/// A warning when the rows could not be split by time although the spec allowed it.
pub(crate) fn split_notes(spec: &ModelSpec, set: &TrainingSet, sp: &Split) -> Vec<String> {
    let undated = set.times.iter().filter(|t| t.is_none()).count();
    if sp.method != SplitMethod::StratifiedRandom || spec.split.order == SplitOrder::Random {
        return vec![];
    }
    vec![format!(
        "split: {undated} of {} rows have no date, so the model was validated on a random slice, \
         not on the most recent rows (set dates on the records, or split.order = \"random\" to \
         say this is intended)",
        set.len()
    )]
}

/// The positions in `sp.validate` of the rows dated in the most recent `validate` fraction of
/// the set's dated rows, and the earliest such time; `None` for a time split (its validation
/// slice is the latest already) or when too few rows carry a date.
pub(crate) fn latest_positions(
    set: &TrainingSet,
    sp: &Split,
    validate_fraction: f64,
) -> Option<(Vec<usize>, DateTime<Utc>)> {
    if sp.method == SplitMethod::Time {
        return None;
    }
    let mut times: Vec<DateTime<Utc>> = set.times.iter().flatten().copied().collect();
    if times.len() < set.len() / 2 {
        return None;
    }
    times.sort_unstable();
    let k = ((times.len() as f64) * (1.0 - validate_fraction)).floor() as usize;
    let since = *times.get(k.min(times.len() - 1))?;
    let pos: Vec<usize> = sp
        .validate
        .iter()
        .enumerate()
        .filter(|&(_, &i)| set.times[i].is_some_and(|t| t >= since))
        .map(|(p, _)| p)
        .collect();
    Some((pos, since))
}

/// The latest slice's figures from the validation predictions `p` and labels `y`, and a
/// warning when its ROC AUC is more than [`LATEST_AUC_GAP`] from the whole slice's.
pub(crate) fn latest_slice(
    positions: &[usize],
    since: DateTime<Utc>,
    p: &[f64],
    y: &[bool],
    random_roc_auc: f64,
) -> (Option<LatestSlice>, Option<String>) {
    let lp: Vec<f64> = positions.iter().map(|&i| p[i]).collect();
    let ly: Vec<bool> = positions.iter().map(|&i| y[i]).collect();
    let positives = ly.iter().filter(|&&v| v).count();
    if ly.len() < MIN_LATEST_ROWS || positives == 0 || positives == ly.len() {
        return (None, None);
    }
    let slice = LatestSlice {
        since,
        rows: ly.len(),
        positives,
        roc_auc: metrics::roc_auc(&lp, &ly),
        log_loss: metrics::log_loss(&lp, &ly),
        random_roc_auc,
    };
    let gap = slice.roc_auc - random_roc_auc;
    let warning = (gap.abs() > LATEST_AUC_GAP).then(|| {
        format!(
            "the latest slice (validation rows since {}) has ROC AUC {:.3}, {:+.3} from the \
             random slice's {:.3}: the model may not hold on recent records",
            since.date_naive(),
            slice.roc_auc,
            gap,
            random_roc_auc
        )
    });
    (Some(slice), warning)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::row::FeatureRow;
    use crate::ml::spec::ModelKind;
    use crate::ml::split::split;
    use chrono::TimeZone;

    fn spec(order: &str) -> ModelSpec {
        ModelSpec::from_toml(&format!(
            "name = \"t\"\nkind = \"lead\"\nseed = 1\ncandidates = [\"logistic\"]\n\
             calibration = [\"platt\"]\n[split]\norder = \"{order}\"\ntrain = 0.6\n\
             calibrate = 0.2\nvalidate = 0.2\n[[feature]]\nname = \"source\"\n\
             from = \"source\"\ntype = \"categorical\"\n"
        ))
        .unwrap()
    }

    fn set(n: usize, dated: usize) -> TrainingSet {
        TrainingSet {
            kind: ModelKind::Lead,
            feature_names: vec!["source".into()],
            rows: vec![FeatureRow { cells: vec![] }; n],
            labels: (0..n).map(|i| i % 4 == 0).collect(),
            times: (0..n)
                .map(|i| (i < dated).then(|| Utc.timestamp_opt(i as i64 * 86_400, 0).unwrap()))
                .collect(),
            ids: (0..n).map(|i| i.to_string()).collect(),
        }
    }

    #[test]
    fn an_auto_split_that_fell_back_to_random_says_so_and_a_chosen_one_does_not() {
        let s = set(100, 90);
        let auto = spec("auto");
        let sp = split(&s, &auto.split, 1).unwrap();
        let notes = split_notes(&auto, &s, &sp);
        assert!(
            notes[0].contains("10 of 100 rows have no date"),
            "{notes:?}"
        );
        let random = spec("random");
        assert!(split_notes(&random, &s, &split(&s, &random.split, 1).unwrap()).is_empty());
        let dated = set(100, 100);
        assert!(split_notes(&auto, &dated, &split(&dated, &auto.split, 1).unwrap()).is_empty());
    }

    #[test]
    fn the_latest_slice_is_the_newest_validation_rows_and_a_gap_is_a_warning() {
        let s = set(1000, 1000);
        let random = spec("random");
        let sp = split(&s, &random.split, 1).unwrap();
        let (pos, since) = latest_positions(&s, &sp, 0.2).unwrap();
        assert_eq!(since, Utc.timestamp_opt(800 * 86_400, 0).unwrap());
        assert!(pos
            .iter()
            .all(|&p| s.times[sp.validate[p]].unwrap() >= since));
        assert!(!pos.is_empty() && pos.len() < sp.validate.len());
        // Perfect on the whole slice, backwards on the latest rows.
        let y: Vec<bool> = sp.validate.iter().map(|&i| s.labels[i]).collect();
        let mut p: Vec<f64> = y.iter().map(|&v| if v { 0.9 } else { 0.1 }).collect();
        for &k in &pos {
            p[k] = 1.0 - p[k];
        }
        let (slice, warning) = latest_slice(&pos, since, &p, &y, 0.95);
        assert!(slice.unwrap().roc_auc < 0.1);
        assert!(warning.unwrap().contains("from the random slice's 0.950"));
        let time = spec("time");
        assert!(latest_positions(&s, &split(&s, &time.split, 1).unwrap(), 0.2).is_none());
    }
}
