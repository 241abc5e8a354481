//! Prints the byte ranges of a core file that a full analysis reads, one
//! `read <offset> <length>` a line (one per distinct start), the heap spans as
//! `span <address> <length>`, and the runtime tables heapwise requires in the core (span
//! table, goroutine list, GC masks) as `need <address> <length>`.
//! fuzz/make_seeds.py uses them to cut a real core down to a small seed that still analyzes.
//!
//!   cargo run --example trace_reads -- <core> <exe> > ranges.txt

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use heapwise_core::source::{ByteSource, SourceError};

struct Traced {
    data: Vec<u8>,
    /// start -> end of each read.
    reads: RefCell<BTreeMap<u64, u64>>,
}

impl ByteSource for Traced {
    fn size(&self) -> u64 {
        self.data.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), SourceError> {
        if !buf.is_empty() {
            let end = offset + buf.len() as u64;
            let mut r = self.reads.borrow_mut();
            let e = r.entry(offset).or_insert(end);
            *e = (*e).max(end);
        }
        (&self.data[..]).read_at(offset, buf)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: trace_reads <core> <exe>");
        std::process::exit(2);
    }
    let core = Rc::new(Traced { data: std::fs::read(&args[1]).expect("read core"), reads: RefCell::new(BTreeMap::new()) });
    let exe: Rc<dyn ByteSource> = Rc::new(std::fs::read(&args[2]).expect("read exe"));
    let src: Rc<dyn ByteSource> = core.clone();
    let a = heapwise_core::Analysis::open(src, exe, &mut |_, _| true).expect("analysis");
    // The queries read a little more (object fields, paths).
    let _ = a.histogram();
    let _ = a.goroutines();
    let _ = a.breakdown();
    for row in a.objects(None).expect("objects").iter().take(64) {
        let _ = a.object(row.addr);
        let _ = a.path(row.addr);
    }
    // Not merged: a small read inside a span (runtime.allgs) must stay apart from the
    // graph's read of the whole span.
    for (&s, &e) in core.reads.borrow().iter() {
        println!("read {s} {}", e - s);
    }
    let rt = a.rt();
    let slice_at = |name: &str, field: Option<(&str, &str)>| -> Option<(u64, u64)> {
        let mut at = rt.global(name).ok()?;
        if let Some((s, f)) = field {
            at += rt.off(s, f).ok()?;
        }
        let (p, l, _) = rt.slice(at).ok()?;
        Some((p, l * 8))
    };
    for (p, l) in [slice_at("runtime.mheap_", Some(("runtime.mheap", "allspans"))), slice_at("runtime.allgs", None)].into_iter().flatten() {
        println!("need {p} {l}");
    }
    // The GC masks of data and bss (runtime.firstmoduledata.gcdatamask, gcbssmask).
    if let Ok(md) = rt.global("runtime.firstmoduledata") {
        for mask in ["gcdatamask", "gcbssmask"] {
            let Ok(at) = rt.off("runtime.moduledata", mask).map(|o| md + o) else { continue };
            let (Ok(n), Ok(p)) = (rt.uint_field(at, "runtime.bitvector", "n"), rt.u64_field(at, "runtime.bitvector", "bytedata")) else {
                continue;
            };
            println!("need {p} {}", n.div_ceil(8));
        }
    }
    for (base, len) in a.heap_spans() {
        println!("span {base} {len}");
    }
}
