//! The one model both front ends fill ([`crate::frontends::core`] from an ELF core and its
//! executable, [`crate::frontends::heapdump`] from a heap dump and, optionally, its
//! executable) and [`crate::analysis::Analysis::analyze`] turns into an analysis: the
//! process image, its heap, roots, goroutines and the type evidence for naming.

use crate::formats::dwarf::Dwarf;
use crate::formats::elfcore::Arch;
use crate::runtime::heap::Heap;
use crate::runtime::memory::Memory;
use crate::runtime::roots::Root;
use crate::runtime::rt::Rt;
use crate::runtime::seeds::{SpecialTypeHints, TypeSeed};
use crate::runtime::stacks::Goroutine;

/// What every query reads: the address space, the DWARF that describes it (the
/// executable's, one synthesized for a stripped one, or none for a dump without an
/// executable) and facts of the process.
pub struct Image {
    pub mem: Memory,
    pub dwarf: Dwarf,
    /// Load bias: runtime address = DWARF address + bias.
    pub bias: u64,
    pub arch: Arch,
    pub go_version: String,
    /// Threads the input records.
    pub threads: u32,
    /// Bytes of address space the input maps (a core's segments; 0 for a dump).
    pub mapped_bytes: u64,
    /// The process id, from a core's NT_PRPSINFO note (`None` for a dump).
    pub pid: Option<u32>,
    /// CPU time the process's threads had used when the core was taken (the sum of their
    /// NT_PRSTATUS `pr_utime + pr_stime`): it only grows within one process, so it orders
    /// snapshots of it. `None` for a dump.
    pub cpu_ns: Option<u64>,
    /// The executable's GNU build ID, when it has one (and one was given).
    pub build_id: Option<Vec<u8>>,
}

impl Image {
    pub fn rt(&self) -> Rt<'_> {
        Rt { mem: &self.mem, dwarf: &self.dwarf, bias: self.bias }
    }
}

/// A process as a front end found it, before the graph is built, marked and typed.
pub struct Model {
    pub image: Image,
    pub heap: Heap,
    pub roots: Vec<Root>,
    pub goroutines: Vec<Goroutine>,
    /// Typed addresses naming starts from: globals, then stack variables.
    pub seeds: Vec<TypeSeed>,
    pub hints: SpecialTypeHints,
    pub warnings: Vec<String>,
    /// [`crate::report::Overview::runtime_heap_marked`].
    pub runtime_heap_marked: Option<u64>,
    /// [`crate::report::Overview::runtime_heap_alloc`].
    pub runtime_heap_alloc: Option<u64>,
    /// A heap dump's allocation stacks of sampled objects (its `memprof` and `allocsample`
    /// records); `None` for a core, whose profile is read from the image
    /// ([`crate::runtime::mprof`]).
    pub dump_alloc_stacks: Option<DumpAllocStacks>,
}

/// The allocation stacks a heap dump records (`runtime/heapdump.go`: `dumpmemprof_callback`
/// writes each bucket's stack as (function, file, line) per PC, the function being the
/// physical one even for an inlined frame; `dumpmemprof` one `allocsample` per profile
/// special).
#[derive(Debug, Clone, Default)]
pub struct DumpAllocStacks {
    stacks: Vec<Vec<crate::report::StackFrame>>,
    /// The address of each stack's bucket in the process (the `memprof` record's).
    bucket_addrs: Vec<u64>,
    objects: std::collections::HashMap<u64, u32>,
}

impl DumpAllocStacks {
    pub fn new(buckets: Vec<(u64, Vec<crate::formats::heapdump::ProfFrame>)>, samples: &[(u64, u64)]) -> DumpAllocStacks {
        let mut index = std::collections::HashMap::new();
        let mut stacks = Vec::with_capacity(buckets.len());
        let mut bucket_addrs = Vec::with_capacity(buckets.len());
        for (addr, frames) in buckets {
            index.insert(addr, stacks.len() as u32);
            bucket_addrs.push(addr);
            stacks.push(
                frames
                    .into_iter()
                    .map(|f| crate::report::StackFrame { function: f.function, file: f.file, line: f.line.min(u32::MAX as u64) as u32 })
                    .collect(),
            );
        }
        let objects = samples.iter().filter_map(|&(obj, b)| index.get(&b).map(|&i| (obj, i))).collect();
        DumpAllocStacks { stacks, bucket_addrs, objects }
    }

    /// The address of the profile bucket of the sampled object at `addr`.
    pub fn bucket_of(&self, addr: u64) -> Option<u64> {
        self.bucket_addrs.get(*self.objects.get(&addr)? as usize).copied()
    }

    /// The recorded stack of the sampled object at `addr`.
    pub fn stack_of(&self, addr: u64) -> Option<&[crate::report::StackFrame]> {
        self.stacks.get(*self.objects.get(&addr)? as usize).map(Vec::as_slice)
    }

    /// The index of the recorded stack of the sampled object at `addr` (one per bucket).
    pub fn stack_index_of(&self, addr: u64) -> Option<u32> {
        self.objects.get(&addr).copied()
    }

    /// Recorded stack `i` ([`DumpAllocStacks::stack_index_of`]).
    pub fn stack(&self, i: u32) -> &[crate::report::StackFrame] {
        self.stacks.get(i as usize).map(Vec::as_slice).unwrap_or(&[])
    }
}
