//! Independent items worked on all available cores, in chunks, with the results in order.

/// `f` of each chunk of `items`, concatenated in order: on one thread below `from` items (small
/// batches, e.g. one lead per request, must not pay for asking the OS about cores: on Linux that
/// reads cgroup files, measured at a quarter of the server's CPU), else one chunk per core.
pub(crate) fn by_chunks<I: Sync, T: Send>(
    items: &[I],
    from: usize,
    f: impl Fn(&[I]) -> Vec<T> + Sync,
) -> Vec<T> {
    if items.len() < from.max(2) {
        return f(items);
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 {
        return f(items);
    }
    let chunk = items.len().div_ceil(cores);
    std::thread::scope(|s| {
        let handles: Vec<_> = items.chunks(chunk).map(|c| s.spawn(|| f(c))).collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_on_several_threads_come_back_in_order() {
        let items: Vec<u32> = (0..1001).collect();
        let double = |c: &[u32]| c.iter().map(|x| x * 2).collect::<Vec<_>>();
        let one = by_chunks(&items, usize::MAX, double);
        assert_eq!(one, by_chunks(&items, 0, double));
        assert_eq!(one[1000], 2000);
    }
}
