//! Allocation sites of a type's live instances (`histogram --sites TYPE`, the type page):
//! the sampled instances (those with a profile special, `runtime/mheap.go`
//! `specialprofile`, or an `allocsample` record in a heap dump) grouped by the innermost
//! frame of their allocation stack past the runtime's, each bucket's count unsampled as
//! `runtime/pprof` unsamples `inuse_objects` and `inuse_space` (`scaleHeapSample`, the same
//! functions [`super::heap_profile`] uses) and summed per site.

use std::collections::HashMap;

use crate::analysis::{dump_stack_shown, Analysis};
use crate::report::{AllocSite, AllocSites, StackFrame};
use crate::runtime::heap::SlotId;
use crate::Error;

impl Analysis {
    /// Where the sampled live instances of the type named `type_name` (as the histogram
    /// names it) were allocated, the sites holding most estimated bytes first.
    pub fn alloc_sites(&self, type_name: &str) -> Result<AllocSites, Error> {
        let (labels, names) = self.labels();
        let wanted: Vec<bool> = names.iter().map(|n| n == type_name).collect();
        if !wanted.iter().any(|&w| w) {
            return Err(Error::NotFound(format!("no type named {type_name} in the heap")));
        }
        let mut notes = Vec::new();
        let (mut live_objects, mut live_bytes) = (0u64, 0u64);
        // Bucket (or recorded stack) -> (sampled count, sampled bytes).
        let mut per_bucket: HashMap<u32, (u64, u64)> = HashMap::new();
        let dump = self.dump_alloc_stacks.as_ref();
        let profile = if dump.is_some() { None } else { Some(self.mem_profile()?) };
        for s in self.reach.live.iter_ones() {
            if !wanted.get(labels[s] as usize).copied().unwrap_or(false) {
                continue;
            }
            let s = s as SlotId;
            live_objects += 1;
            live_bytes += self.slot_size(s);
            let addr = self.object_addr(s);
            let found = match (dump, profile) {
                (Some(d), _) => d.stack_index_of(addr).map(|i| (i, self.slot_size(s))),
                (None, Some((p, _))) => p.bucket_of_object(addr).map(|b| (b, p.buckets()[b as usize].size())),
                _ => None,
            };
            if let Some((b, size)) = found {
                let e = per_bucket.entry(b).or_default();
                e.0 += 1;
                e.1 += size;
            }
        }
        let sampled_objects = per_bucket.values().map(|v| v.0).sum();
        let rt = self.rt();
        let scale: Option<(i64, bool, bool)> = match profile {
            Some((p, _)) => {
                let fma = crate::pprof::read_use_fma(&rt).unwrap_or(true);
                Some((p.rate(), fma, p.counts_bytes()))
            }
            None => {
                notes.push("a heap dump does not record runtime.MemProfileRate: the sampled counts are not unsampled".into());
                None
            }
        };
        if let Some((0, _, _)) = scale {
            notes.push("runtime.MemProfileRate is 0: nothing was sampled".into());
        }
        // Site frame -> (site, per-bucket stacks and counts).
        struct Acc {
            site: StackFrame,
            best: (u64, Vec<StackFrame>),
            stacks: u32,
            objects: u64,
            bytes: u64,
            est: (i64, i64),
        }
        let mut sites: Vec<Acc> = Vec::new();
        let mut index: HashMap<(String, String, u32), usize> = HashMap::new();
        let mut buckets: Vec<(u32, (u64, u64))> = per_bucket.into_iter().collect();
        buckets.sort_unstable_by_key(|b| b.0);
        for (b, (n, bytes)) in buckets {
            let stack = match (dump, profile) {
                (Some(d), _) => dump_stack_shown(d.stack(b)),
                (None, Some((p, t))) => self.bucket_stack(p, t, b),
                _ => Vec::new(),
            };
            let site = stack.first().cloned().unwrap_or(StackFrame { function: "?".into(), file: String::new(), line: 0 });
            let (eo, eb) = match scale {
                Some((rate, fma, true)) => crate::pprof::scale_heap_sample_bytes(n as i64, bytes as i64, rate, fma),
                Some((rate, fma, false)) => crate::pprof::scale_heap_sample_objects(n as i64, (bytes / n.max(1)) as i64, rate, fma),
                None => (0, 0),
            };
            let key = (site.function.clone(), site.file.clone(), site.line);
            let i = *index.entry(key).or_insert_with(|| {
                sites.push(Acc { site, best: (0, Vec::new()), stacks: 0, objects: 0, bytes: 0, est: (0, 0) });
                sites.len() - 1
            });
            let a = &mut sites[i];
            a.stacks += 1;
            a.objects += n;
            a.bytes += bytes;
            a.est = (a.est.0.saturating_add(eo), a.est.1.saturating_add(eb));
            if n > a.best.0 {
                a.best = (n, stack);
            }
        }
        let scaled = scale.is_some();
        let mut sites: Vec<AllocSite> = sites
            .into_iter()
            .map(|a| AllocSite {
                site: a.site,
                stack: a.best.1,
                stacks: a.stacks,
                sampled_objects: a.objects,
                sampled_bytes: a.bytes,
                estimated_objects: scaled.then_some(a.est.0),
                estimated_bytes: scaled.then_some(a.est.1),
            })
            .collect();
        sites.sort_by(|a, b| {
            b.estimated_bytes
                .cmp(&a.estimated_bytes)
                .then(b.sampled_bytes.cmp(&a.sampled_bytes))
                .then_with(|| (&a.site.function, &a.site.file, a.site.line).cmp(&(&b.site.function, &b.site.file, b.site.line)))
        });
        Ok(AllocSites { type_name: type_name.to_string(), live_objects, live_bytes, sampled_objects, rate: scale.map(|s| s.0), sites, notes })
    }
}
