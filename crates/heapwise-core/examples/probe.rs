use std::rc::Rc;
use heapwise_core::source::ByteSource;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let core: Rc<dyn ByteSource> = Rc::new(std::fs::read(&a[1]).unwrap());
    let exe: Rc<dyn ByteSource> = Rc::new(std::fs::read(&a[2]).unwrap());
    let p = heapwise_core::runtime::process::Process::open(core, exe).unwrap();
    for t in &p.exe.dwarf.types { if t.name.contains(&a[3]) { eprintln!("type {} kind {} rt {:#x} size {} shape {:?}", t.name, t.go_kind, t.runtime_type, t.size, t.shape); } }
    for f in &p.exe.dwarf.functions { if f.name.contains(&a[3]) { eprintln!("{} {:#x} params {:?} closure {:?}", f.name, f.low_pc, f.params.iter().map(|x| (&x.0, &p.exe.dwarf.ty(x.1).name)).collect::<Vec<_>>(), f.closure_vars.iter().map(|x| (&x.0, &p.exe.dwarf.ty(x.1).name, x.2)).collect::<Vec<_>>()); } }
}
#[allow(dead_code)]
fn unused() {}
