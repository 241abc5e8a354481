//! A loaded process: the core's address space with the executable's file-backed pages
//! filled in, the executable's DWARF, and the checks that the two belong together.

use std::rc::Rc;

use crate::formats::elfcore::{Arch, CoreFile, AT_ENTRY};
use crate::error::SUPPORTED_GO;
use crate::formats::exe::{parse_go_version, Executable};
use crate::runtime::memory::Memory;
use crate::runtime::rt::Rt;
use crate::source::ByteSource;
use crate::Error;

const PF_W: u32 = 2;
/// Go releases heapwise decodes, as (major, minor) bounds.
pub(crate) const MIN_GO: (u32, u32) = (1, 22);
pub(crate) const MAX_GO: (u32, u32) = (1, 27);

pub struct Process {
    pub core: CoreFile,
    pub exe: Executable,
    pub mem: Memory,
    pub bias: u64,
    pub arch: Arch,
    pub go_version: String,
    pub warnings: Vec<String>,
}

impl Process {
    /// Loads a core and its executable.
    pub fn open(core_src: Rc<dyn ByteSource>, exe_src: Rc<dyn ByteSource>) -> Result<Process, Error> {
        Self::open_with_debug(core_src, exe_src, None)
    }

    /// [`Process::open`] with a separate debug file (`--debug-file`, `.gnu_debuglink`,
    /// a `.build-id/xx/yyyy.debug` entry) whose DWARF is used when the executable has none.
    pub fn open_with_debug(core_src: Rc<dyn ByteSource>, exe_src: Rc<dyn ByteSource>, debug: Option<Rc<dyn ByteSource>>) -> Result<Process, Error> {
        let core = CoreFile::parse(&*core_src)?;
        let mut exe = with_bytes(&*exe_src, "the executable", Executable::parse)?;
        if let Some(d) = debug {
            if exe.dwarf.is_empty() {
                with_bytes(&*d, "the debug file", |b| exe.use_debug_file(b))?;
            }
        }
        Self::from_parts(core_src, core, exe_src, exe)
    }

    /// [`Process::open`] with the executable already parsed from `exe_src` (the fuzz
    /// harness parses its fixture executable once).
    pub fn open_parsed(core_src: Rc<dyn ByteSource>, exe_src: Rc<dyn ByteSource>, exe: Executable) -> Result<Process, Error> {
        let core = CoreFile::parse(&*core_src)?;
        Self::from_parts(core_src, core, exe_src, exe)
    }

    fn from_parts(core_src: Rc<dyn ByteSource>, core: CoreFile, exe_src: Rc<dyn ByteSource>, mut exe: Executable) -> Result<Process, Error> {
        // An executable of an unsupported Go release: say so before anything else fails on
        // runtime layouts heapwise does not know.
        if let Some(v) = exe.go_version.as_deref() {
            if parse_go_version(v).is_some_and(|n| n < MIN_GO || n > MAX_GO) {
                return Err(Error::UnsupportedGoVersion { found: v.to_string(), supported: SUPPORTED_GO });
            }
        }
        let exe_arch = crate::formats::elfcore::arch_of(
            &crate::formats::elfcore::ElfHeader { e_type: 0, machine: exe.machine, entry: 0, phoff: 0, phentsize: 0, phnum: 0 },
            "the executable",
        )?;
        if exe_arch != core.arch {
            return Err(Error::ExeMismatch(format!(
                "the core is {} but the executable is {}",
                core.arch.go_name(),
                exe_arch.go_name()
            )));
        }
        let at_entry = core.auxv_value(AT_ENTRY);
        let bias = match (exe.is_pie, at_entry) {
            (true, Some(e)) => e.wrapping_sub(exe.entry),
            (true, None) => {
                return Err(Error::Malformed("the core has no auxiliary vector (NT_AUXV): cannot locate a PIE executable".into()))
            }
            (false, Some(e)) if e != exe.entry => {
                let built = exe.go_version.as_deref().map(|v| format!(" (built with {v})")).unwrap_or_default();
                return Err(Error::ExeMismatch(format!(
                    "the process's entry point was {e:#x} but this executable's{built} is {:#x}: another program, or another build of it",
                    exe.entry
                )));
            }
            (false, _) => 0,
        };
        let mut warnings = core.warnings.clone();
        // Only data cut off by truncation is "missing"; a kernel core's unsaved file-backed
        // pages are filled from the executable or read as zeros.
        let mem = Memory::new(core_src.clone(), exe_src.clone(), &core.segments, &core.truncated, &exe.load_segments, bias);
        check_segments_match(&core, &*core_src, &*exe_src, &exe, bias)?;
        let has_dwarf = !exe.dwarf.is_empty();
        if !has_dwarf {
            let (dwarf, notes) = crate::runtime::stripped::synthesize(&exe, &mem, bias)?;
            exe.dwarf = dwarf;
            warnings.extend(notes);
        } else {
            crate::runtime::supplement::add_descriptor_types(&mut exe.dwarf, &mem, bias);
        }

        let exe_version = exe.go_version.clone();
        let rt = Rt { mem: &mem, dwarf: &exe.dwarf, bias };
        let core_version = rt
            .global("runtime.buildVersion")
            .ok()
            .and_then(|a| rt.string(a, 64).ok())
            .filter(|s| s.starts_with("go") || s.starts_with("devel"));
        let go_version = match (&core_version, &exe_version) {
            (Some(c), Some(e)) if c != e && !e.starts_with(c.as_str()) => {
                return Err(Error::ExeMismatch(format!("the core was made by a {c} program, the executable was built with {e}")))
            }
            (Some(c), _) => c.clone(),
            (None, Some(e)) => e.clone(),
            (None, None) => {
                return Err(Error::NotGo("neither the executable nor the core records a Go version".into()));
            }
        };
        if has_dwarf && core_version.is_none() && rt.global("runtime.buildVersion").is_err() {
            return Err(Error::NotGo("the executable's DWARF has no runtime.buildVersion".into()));
        }
        match parse_go_version(&go_version) {
            Some(v) if v >= MIN_GO && v <= MAX_GO => {}
            _ => return Err(Error::UnsupportedGoVersion { found: go_version, supported: SUPPORTED_GO }),
        }
        if core.threads.is_empty() {
            warnings.push("the core has no thread register notes (NT_PRSTATUS)".into());
        }
        Ok(Process { arch: core.arch, core, exe, mem, bias, go_version, warnings })
    }

    pub fn rt(&self) -> Rt<'_> {
        Rt { mem: &self.mem, dwarf: &self.exe.dwarf, bias: self.bias }
    }
}

/// Runs `f` on the whole contents of `src` (mapped, or read when it is not).
fn with_bytes<T>(src: &dyn ByteSource, what: &str, f: impl FnOnce(&[u8]) -> Result<T, Error>) -> Result<T, Error> {
    match src.as_slice() {
        Some(s) => f(s),
        None => {
            let size = src.size();
            if size > 4 << 30 {
                return Err(Error::Unsupported(format!("{what} is {size} bytes; over 4 GiB is not supported")));
            }
            f(&src.read_vec(0, size as usize)?)
        }
    }
}

/// Compares the read-only segments the core holds with the executable's bytes: a different
/// build of the same program differs in its text.
fn check_segments_match(
    core: &CoreFile,
    core_src: &dyn ByteSource,
    exe_src: &dyn ByteSource,
    exe: &Executable,
    bias: u64,
) -> Result<(), Error> {
    // A Go executable has two or three read-only PT_LOADs; more are not compared.
    for ph in exe.load_segments.iter().filter(|p| p.flags & PF_W == 0 && p.filesz > 0).take(8) {
        // The headers and padding before the segment's first section differ between a
        // binary and its stripped copy (`objcopy`, `strip`): compare from that section on.
        let skip = exe
            .sections
            .iter()
            .map(|&(_, a, _)| a)
            .filter(|&a| a >= ph.vaddr && a < ph.vaddr.saturating_add(ph.filesz))
            .min()
            .map_or(0, |a| a - ph.vaddr)
            .max(exe.header_bytes.saturating_sub(ph.offset));
        if skip >= ph.filesz {
            continue;
        }
        let ph = &crate::formats::elfcore::ProgramHeader { vaddr: ph.vaddr + skip, offset: ph.offset + skip, filesz: ph.filesz - skip, ..*ph };
        let start = ph.vaddr.wrapping_add(bias);
        // Segments are sorted by address: the last one starting at or below `start`.
        let i = core.segments.partition_point(|s| s.vaddr <= start);
        let Some(seg) = i.checked_sub(1).map(|i| &core.segments[i]).filter(|s| start < s.vaddr + s.filesz) else { continue };
        let n = (seg.vaddr + seg.filesz - start).min(ph.filesz).min(64 * 1024) as usize;
        let mut a = vec![0u8; n];
        let mut b = vec![0u8; n];
        if core_src.read_at(seg.offset + (start - seg.vaddr), &mut a).is_err() || exe_src.read_at(ph.offset, &mut b).is_err() {
            continue;
        }
        if a != b {
            return Err(Error::ExeMismatch(format!(
                "the code at {start:#x} differs between the core and the executable (a different build?)"
            )));
        }
    }
    Ok(())
}
