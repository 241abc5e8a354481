use std::rc::Rc;
use heapwise_core::source::ByteSource;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let core: Rc<dyn ByteSource> = Rc::new(std::fs::read(&a[1]).unwrap());
    let exe: Rc<dyn ByteSource> = Rc::new(std::fs::read(&a[2]).unwrap());
    let t = std::time::Instant::now();
    let p = heapwise_core::process::Process::open(core, exe).unwrap();
    eprintln!("open {:?} version {} threads {} types {} globals {} funcs {}", t.elapsed(), p.go_version, p.core.threads.len(), p.exe.dwarf.types.len(), p.exe.dwarf.globals.len(), p.exe.dwarf.functions.len());
    let rt = p.rt();
    let h = heapwise_core::heap::Heap::read(&rt, true, &mut |_| true).unwrap();
    eprintln!("spans {} slots {} allocated {} inline {} warnings {:?}", h.spans.len(), h.slot_count, h.allocated.count_ones(), h.spans.iter().filter(|s| s.inline_mark_bits).count(), &h.warnings[..h.warnings.len().min(3)]);
    let mut rc = heapwise_core::types::RtypeCache::new(&rt);
    let mut names = std::collections::HashMap::<String, u32>::new();
    for s in &h.spans { if let heapwise_core::heap::PtrLayout::Header = s.layout { for k in 0..s.nelems { if h.allocated.get((s.first_slot+k) as usize) { let hd = rt.mem.u64(s.base + k as u64 * s.elemsize).unwrap(); if let Some(i) = rc.get(&rt, hd) { *names.entry(i.name.clone()).or_default() += 1; } } } } 
      if let heapwise_core::heap::PtrLayout::Large{rtype} = s.layout { if let Some(i) = rc.get(&rt, rtype) { *names.entry(format!("large {} ptrs {}", i.name, i.ptr_words.len())).or_default() += 1; } } }
    eprintln!("{:?}", names);
}
