//! The goroutine views of [`Analysis`]: groups of goroutines by stack with the bytes each
//! keeps alive, and goroutine leaks by Go 1.27's rule ([`crate::graph::goroutines`]).

use crate::analysis::Analysis;
use crate::graph::goroutines::GoroutineOwnership;
use crate::report::{BlockedOn, GoroutineGroupInfo, ObjectRef, SourceLoc};
use crate::runtime::heap::SlotId;

/// Objects listed per group at most.
const TOP_OBJECTS: usize = 20;
/// Primitives listed per group at most.
const MAX_BLOCKED_ON: usize = 16;

impl Analysis {
    pub(crate) fn ownership(&self) -> &GoroutineOwnership {
        self.ownership.get_or_init(|| {
            let found = crate::runtime::stacks::cond_waits(&self.rt(), &self.heap, &self.goroutines, || self.reverse());
            GoroutineOwnership::build(&self.heap, self.graph(), &self.roots, &self.goroutines, self.allgs_array(), found)
        })
    }

    /// The heap slot of `runtime.allgs`'s backing array, if the core has one.
    fn allgs_array(&self) -> Option<SlotId> {
        let rt = self.rt();
        let (ptr, _, _) = rt.slice(rt.global("runtime.allgs").ok()?).ok()?;
        self.heap.find(ptr).map(|t| t.slot)
    }

    /// `runtime.work.tstart`: the `nanotime()` at which the last collection started, the
    /// latest time the runtime wrote into `g.waitsince`.
    fn last_gc_start(&self) -> Option<i64> {
        let rt = self.rt();
        let g = rt.dwarf.globals.iter().find(|g| g.name == "runtime.work")?;
        let (off, _) = rt.dwarf.field_of(g.ty, "tstart")?;
        let v = rt.mem.u64(g.addr.wrapping_add(rt.bias).wrapping_add(off)).ok()? as i64;
        (v > 0).then_some(v)
    }

    /// Goroutines grouped by leaked flag, status, wait reason and stack, the groups that
    /// retain most first.
    pub fn goroutine_groups(&self) -> Vec<GoroutineGroupInfo> {
        let own = self.ownership();
        let now = self.last_gc_start();
        let mut out: Vec<GoroutineGroupInfo> = own
            .groups()
            .iter()
            .enumerate()
            .map(|(k, grp)| {
                let first = &self.goroutines[grp.members[0] as usize];
                let mut frames = Vec::new();
                for f in &first.frames {
                    for i in &f.inlined {
                        frames.push(SourceLoc { function: i.function.clone(), file: i.file.clone(), line: i.line });
                    }
                    frames.push(SourceLoc { function: f.function.clone(), file: f.file.clone(), line: f.line });
                }
                let waiting_ns = match now {
                    Some(now) => grp
                        .members
                        .iter()
                        .map(|&i| self.goroutines[i as usize].meta.wait_since)
                        .filter(|&w| w > 0 && w <= now)
                        .map(|w| (now - w) as u64)
                        .max(),
                    None => None,
                };
                let mut blocked_on = Vec::new();
                let sync_wait = matches!(
                    crate::graph::goroutines::Blocking::of_goroutine(first),
                    crate::graph::goroutines::Blocking::Sync
                );
                'members: for &i in &grp.members {
                    // A `sync.Cond` waiter before Go 1.26 has its sudog only on the Cond's list.
                    for s in self.goroutines[i as usize].meta.waiting.iter().chain(own.found_sudog(i)) {
                        let (kind, addr) = if sync_wait { ("primitive", s.elem) } else { ("channel", s.chan) };
                        let Some(t) = self.heap.find(addr) else { continue };
                        let obj = self.object_addr(t.slot);
                        if blocked_on.iter().any(|b: &BlockedOn| b.addr == obj) {
                            continue;
                        }
                        if blocked_on.len() >= MAX_BLOCKED_ON {
                            break 'members;
                        }
                        let path = self.path(obj).ok().map(|p| {
                            let mut s = format!("{} {}", p.root.kind, p.root.name);
                            for h in &p.hops {
                                s.push_str(&format!(" -> {}", h.type_name));
                            }
                            s
                        });
                        blocked_on.push(BlockedOn { kind: kind.to_string(), addr: obj, type_name: self.type_name(t.slot), path });
                    }
                }
                let mut slots = own.group_slots(k as u32);
                slots.sort_by_key(|&s| std::cmp::Reverse(self.slot_size(s)));
                slots.truncate(TOP_OBJECTS);
                GoroutineGroupInfo {
                    count: grp.members.len() as u64,
                    status: first.status.clone(),
                    wait_reason: first.wait_reason.clone(),
                    created_by: first.meta.created_by.as_ref().map(|c| SourceLoc { function: c.function.clone(), file: c.file.clone(), line: c.line }),
                    created_in: first.meta.parent_goid.filter(|&p| p != 0),
                    labels: first.meta.label_pairs.clone(),
                    retained: own.group_retained(k as u32),
                    goroutines: grp.members.iter().map(|&i| self.goroutines[i as usize].id).collect(),
                    goroutine_retained: grp.members.iter().map(|&i| own.goroutine_retained(i)).collect(),
                    frames,
                    leaked: own.leaked(grp.members[0]),
                    waiting_ns,
                    blocked_on,
                    top_objects: slots.into_iter().map(|s| ObjectRef { addr: self.object_addr(s), type_name: self.type_name(s), size: self.slot_size(s) }).collect(),
                }
            })
            .collect();
        out.sort_by(|a, b| b.retained.cmp(&a.retained).then(b.count.cmp(&a.count)).then(a.goroutines.cmp(&b.goroutines)));
        out
    }

    /// The leaked groups of [`Analysis::goroutine_groups`].
    pub fn goroutine_leaks(&self) -> Vec<GoroutineGroupInfo> {
        self.goroutine_groups().into_iter().filter(|g| g.leaked).collect()
    }
}
