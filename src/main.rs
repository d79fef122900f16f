#![forbid(unsafe_code)]

// mimalloc instead of glibc's malloc: bulk scoring makes and drops many small strings and maps a
// row (ids, categories, attribute maps), and glibc's malloc/free took 18-25% of its time; see
// benches/RESULTS.md, "Bulk scoring: a global allocator". Set here, so the library (and whoever
// embeds it) keeps its own choice.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    revcast::cli::main()
}
