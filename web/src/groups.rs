//! What the goroutine groups view shows, as plain functions (native, so they are unit-tested):
//! the order of the groups, the window of rows on screen, a group's headline frame.
//!
//! A core can hold 100,000 goroutines in thousands of groups: the view renders one page of
//! [`GROUPS_PER_PAGE`] groups, and an open group one page of [`IDS_PER_PAGE`] goroutine ids,
//! never all of them.

use std::ops::Range;

use heapwise_core::report::{GoroutineGroupInfo, SourceLoc};

/// Groups on one page of the groups view.
pub const GROUPS_PER_PAGE: usize = 50;
/// Goroutine ids an open group shows per page.
pub const IDS_PER_PAGE: usize = 200;
/// Goroutines on one page of the per-goroutine list.
pub const GOROUTINES_PER_PAGE: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupSort {
    Count,
    Retained,
}

/// How the groups are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupOrder {
    pub sort: GroupSort,
    pub descending: bool,
    /// Only the leaked groups.
    pub leaked_only: bool,
}

impl Default for GroupOrder {
    /// As `heapwise goroutines --group` prints them: the groups retaining most first.
    fn default() -> Self {
        GroupOrder { sort: GroupSort::Retained, descending: true, leaked_only: false }
    }
}

impl GroupOrder {
    /// Sorted by `key`: the same key again flips the order; a new key starts descending.
    pub fn sorted_by(self, key: GroupSort) -> Self {
        let descending = if self.sort == key { !self.descending } else { true };
        GroupOrder { sort: key, descending, ..self }
    }
}

/// Indices into `groups` in the order `o` lists them (ties: the other key, then the lowest
/// first goroutine id, so the order is stable from one render to the next).
pub fn order(groups: &[GoroutineGroupInfo], o: GroupOrder) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..groups.len() as u32).filter(|&i| !o.leaked_only || groups[i as usize].leaked).collect();
    let first = |g: &GoroutineGroupInfo| g.goroutines.first().copied().unwrap_or(u64::MAX);
    idx.sort_by(|&a, &b| {
        let (a, b) = (&groups[a as usize], &groups[b as usize]);
        let key = match o.sort {
            GroupSort::Count => a.count.cmp(&b.count).then(a.retained.cmp(&b.retained)),
            GroupSort::Retained => a.retained.cmp(&b.retained).then(a.count.cmp(&b.count)),
        };
        let key = if o.descending { key.reverse() } else { key };
        key.then(first(a).cmp(&first(b)))
    });
    idx
}

/// Number of pages of `per_page` rows for `len` rows (at least one).
pub fn pages(len: usize, per_page: usize) -> usize {
    len.div_ceil(per_page.max(1)).max(1)
}

/// The rows of page `page` (clamped to the last page).
pub fn window(len: usize, page: usize, per_page: usize) -> Range<usize> {
    let per_page = per_page.max(1);
    let page = page.min(pages(len, per_page) - 1);
    let start = page * per_page;
    start.min(len)..(start + per_page).min(len)
}

/// The frame a group is named by, where the program itself blocked: the innermost frame of
/// package main or of a package whose import path starts with a domain (`example.com/...`,
/// the standard library's never does), else the innermost outside package runtime, else the
/// innermost.
pub fn headline(frames: &[SourceLoc]) -> Option<&SourceLoc> {
    frames
        .iter()
        .find(|f| {
            let pkg = package_of(&f.function);
            pkg == "main" || pkg.split('/').next().is_some_and(|first| first.contains('.'))
        })
        .or_else(|| frames.iter().find(|f| package_of(&f.function) != "runtime"))
        .or(frames.first())
}

/// The import path of a function's package: `net/http` of `net/http.(*conn).serve`.
fn package_of(function: &str) -> &str {
    let slash = function.rfind('/').map_or(0, |i| i + 1);
    match function[slash..].find('.') {
        Some(dot) => &function[..slash + dot],
        None => function,
    }
}

/// Nanoseconds as the goroutine profile prints waits: minutes, else seconds.
pub fn fmt_wait(ns: u64) -> String {
    let s = ns / 1_000_000_000;
    if s >= 60 {
        format!("{} minutes", s / 60)
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(function: &str, line: u32) -> SourceLoc {
        SourceLoc { function: function.into(), file: "main.go".into(), line }
    }

    /// 100,000 goroutines in 4,000 groups: 3,999 of 1 to 20 goroutines and one of the rest
    /// (ids dealt out in order).
    fn many() -> Vec<GoroutineGroupInfo> {
        let mut next = 1u64;
        let mut out = Vec::new();
        for k in 0..4000u64 {
            let count = if k == 3999 { 100_000 - (next - 1) } else { 1 + (k * 7919) % 20 };
            let ids: Vec<u64> = (next..next + count).collect();
            next += count;
            out.push(GoroutineGroupInfo {
                count,
                status: "waiting".into(),
                wait_reason: "chan receive".into(),
                created_by: None,
                created_in: None,
                labels: vec![],
                retained: (k * 104_729) % 1_000_003,
                goroutine_retained: ids.iter().map(|i| i % 97).collect(),
                goroutines: ids,
                frames: vec![loc("runtime.gopark", 1), loc("main.f", k as u32)],
                leaked: k % 3 == 0,
                waiting_ns: None,
                blocked_on: vec![],
                top_objects: vec![],
            });
        }
        out
    }

    #[test]
    fn order_by_count_and_retained_both_ways_and_leaked_only() {
        let gs = many();
        assert_eq!(gs.iter().map(|g| g.count).sum::<u64>(), 100_000);
        for sort in [GroupSort::Count, GroupSort::Retained] {
            for descending in [true, false] {
                let o = GroupOrder { sort, descending, leaked_only: false };
                let idx = order(&gs, o);
                assert_eq!(idx.len(), gs.len());
                let key = |i: u32| {
                    let g = &gs[i as usize];
                    match sort {
                        GroupSort::Count => (g.count, g.retained),
                        GroupSort::Retained => (g.retained, g.count),
                    }
                };
                for w in idx.windows(2) {
                    let (a, b) = (key(w[0]), key(w[1]));
                    assert!(
                        if descending { a >= b } else { a <= b },
                        "{sort:?} descending={descending}: {a:?} then {b:?}"
                    );
                }
                let mut seen = idx.clone();
                seen.sort_unstable();
                assert_eq!(seen, (0..gs.len() as u32).collect::<Vec<_>>(), "every group once");
            }
        }
        let leaked = order(&gs, GroupOrder { leaked_only: true, ..GroupOrder::default() });
        assert_eq!(leaked.len(), gs.iter().filter(|g| g.leaked).count());
        assert!(leaked.iter().all(|&i| gs[i as usize].leaked));
        // Count descending puts the biggest group first: the last one, of 100,000 - the rest.
        let by_count = order(&gs, GroupOrder::default().sorted_by(GroupSort::Count));
        assert_eq!(by_count[0], 3999);
        assert_ne!(by_count, order(&gs, GroupOrder::default()), "sorting by count changes the order");
    }

    #[test]
    fn sorting_by_the_same_key_flips_and_a_new_key_starts_descending() {
        let o = GroupOrder::default();
        assert_eq!(o.sorted_by(GroupSort::Retained), GroupOrder { descending: false, ..o });
        assert_eq!(o.sorted_by(GroupSort::Count), GroupOrder { sort: GroupSort::Count, descending: true, ..o });
        let asc = GroupOrder { sort: GroupSort::Count, descending: false, leaked_only: true };
        assert_eq!(
            asc.sorted_by(GroupSort::Retained),
            GroupOrder { sort: GroupSort::Retained, descending: true, leaked_only: true }
        );
    }

    #[test]
    fn windows_cover_every_row_once_and_stay_small() {
        let gs = many();
        let n = gs.len();
        let mut covered = 0;
        for p in 0..pages(n, GROUPS_PER_PAGE) {
            let w = window(n, p, GROUPS_PER_PAGE);
            assert_eq!(w.start, covered);
            assert!(w.len() <= GROUPS_PER_PAGE && !w.is_empty());
            covered = w.end;
        }
        assert_eq!(covered, n);
        // A page beyond the last is the last; an empty list has one empty page.
        assert_eq!(
            window(n, usize::MAX / 2, GROUPS_PER_PAGE),
            window(n, pages(n, GROUPS_PER_PAGE) - 1, GROUPS_PER_PAGE)
        );
        assert_eq!(window(0, 3, GROUPS_PER_PAGE), 0..0);
        assert_eq!(pages(0, GROUPS_PER_PAGE), 1);
        // The big group's ids: at most one page of them on screen.
        let big = &gs[3999].goroutines;
        assert!(big.len() > 50_000);
        assert_eq!(window(big.len(), 0, IDS_PER_PAGE).len(), IDS_PER_PAGE);
    }

    #[test]
    fn headline_is_the_innermost_frame_outside_the_runtime() {
        let frames =
            [loc("runtime.gopark", 1), loc("runtime.chanrecv", 2), loc("main.leak", 3), loc("runtime.goexit", 4)];
        assert_eq!(headline(&frames).map(|f| f.line), Some(3));
        let mutex = [
            loc("runtime.semacquire1", 1),
            loc("internal/sync.(*Mutex).lockSlow", 2),
            loc("sync.(*Mutex).Lock", 3),
            loc("example.com/app/store.(*DB).Get", 4),
            loc("main.main", 5),
        ];
        assert_eq!(headline(&mutex).map(|f| f.line), Some(4));
        let stdlib = [loc("runtime.gopark", 1), loc("net/http.(*conn).serve", 2)];
        assert_eq!(headline(&stdlib).map(|f| f.line), Some(2));
        assert_eq!(package_of("net/http.(*conn).serve"), "net/http");
        assert_eq!(package_of("example.com/a.b/c.F"), "example.com/a.b/c");
        let runtime_only = [loc("runtime.gopark", 1), loc("runtime.forcegchelper", 2)];
        assert_eq!(headline(&runtime_only).map(|f| f.line), Some(1));
        assert_eq!(headline(&[]), None);
    }

    #[test]
    fn waits_print_in_minutes_or_seconds() {
        assert_eq!(fmt_wait(59_999_999_999), "59 s");
        assert_eq!(fmt_wait(125 * 1_000_000_000), "2 minutes");
    }
}
