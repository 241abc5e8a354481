//! ELF core files as written by the Linux kernel (`binfmt_elf.c`: `elf_core_dump`) and by
//! gdb's `gcore`: program headers, PT_LOAD segments and the PT_NOTE records heapwise needs
//! (NT_PRSTATUS, NT_FILE, NT_AUXV). Only the headers and notes are read; segment contents
//! stay in the [`ByteSource`] and are reached through [`crate::runtime::memory::Memory`].
//!
//! References: System V gABI (ELF header, program header), `include/uapi/linux/elf.h` and
//! `include/linux/elfcore.h` (note layouts), `arch/x86/include/asm/user_64.h` and
//! `arch/arm64/include/uapi/asm/ptrace.h` (register sets).

use crate::bytes::{u16_at, u32_at, u64_at};
use crate::source::ByteSource;
use crate::Error;

const ELF_MAGIC: &[u8; 4] = b"\x7fELF";
const ELFCLASS64: u8 = 2;
const ELFDATA2LSB: u8 = 1;
pub(crate) const ET_EXEC: u16 = 2;
pub(crate) const ET_DYN: u16 = 3;
pub(crate) const ET_CORE: u16 = 4;
const EM_X86_64: u16 = 62;
const EM_AARCH64: u16 = 183;
const PT_LOAD: u32 = 1;
const PT_NOTE: u32 = 4;
const NT_PRSTATUS: u32 = 1;
const NT_AUXV: u32 = 6;
const NT_FILE: u32 = 0x4649_4c45;
/// `AT_ENTRY` in the auxiliary vector: the executable's entry point as loaded.
pub const AT_ENTRY: u64 = 9;
/// Offset of `pr_reg` in `struct elf_prstatus` on 64-bit Linux.
const PRSTATUS_REG_OFFSET: usize = 112;
const PRSTATUS_PID_OFFSET: usize = 32;
/// Offsets of `pr_utime` and `pr_stime` (`struct timeval`: seconds, microseconds) in
/// `struct elf_prstatus` on 64-bit Linux (include/uapi/linux/elfcore.h).
const PRSTATUS_UTIME_OFFSET: usize = 48;
const PRSTATUS_STIME_OFFSET: usize = 64;
/// NT_PRPSINFO: `struct elf_prpsinfo`, whose `pr_pid` is at offset 24 on 64-bit Linux.
const NT_PRPSINFO: u32 = 3;
const PRPSINFO_PID_OFFSET: usize = 24;
/// Notes larger than this are not believed (a corrupt header must not make us allocate GBs);
/// it also bounds the note bytes read over all PT_NOTE segments together.
const MAX_NOTE_SEGMENT: u64 = 256 << 20;

/// Instruction set of the dumped process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    Amd64,
    Arm64,
}

impl Arch {
    pub fn go_name(self) -> &'static str {
        match self {
            Arch::Amd64 => "amd64",
            Arch::Arm64 => "arm64",
        }
    }
}

/// The ELF file header fields heapwise uses, for cores and executables alike.
#[derive(Debug, Clone)]
pub struct ElfHeader {
    pub e_type: u16,
    pub machine: u16,
    pub entry: u64,
    pub phoff: u64,
    pub phentsize: u16,
    pub phnum: u16,
}

/// Reads and checks the ELF header: 64-bit little-endian only.
pub fn read_elf_header(src: &dyn ByteSource, what: &str) -> Result<ElfHeader, Error> {
    let mut h = [0u8; 64];
    if src.size() < 64 {
        return Err(Error::NotElf(format!("{what} is {} bytes long, too short for an ELF file", src.size())));
    }
    src.read_at(0, &mut h)?;
    if &h[0..4] != ELF_MAGIC {
        return Err(Error::NotElf(format!("{what} is not an ELF file (no \\x7fELF magic)")));
    }
    if h[4] != ELFCLASS64 || h[5] != ELFDATA2LSB {
        return Err(Error::Unsupported(format!(
            "{what} is not a 64-bit little-endian ELF file (only linux/amd64 and linux/arm64 are supported)"
        )));
    }
    let field = |off| u16_at(&h, off).unwrap_or(0);
    Ok(ElfHeader {
        e_type: field(16),
        machine: field(18),
        entry: u64_at(&h, 24).unwrap_or(0),
        phoff: u64_at(&h, 32).unwrap_or(0),
        phentsize: field(54),
        phnum: field(56),
    })
}

/// Decodes the machine field to an [`Arch`].
pub fn arch_of(h: &ElfHeader, what: &str) -> Result<Arch, Error> {
    match h.machine {
        EM_X86_64 => Ok(Arch::Amd64),
        EM_AARCH64 => Ok(Arch::Arm64),
        m => Err(Error::Unsupported(format!(
            "{what} is for ELF machine {m}; heapwise reads amd64 and arm64 only"
        ))),
    }
}

/// One PT_LOAD segment of the core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreSegment {
    pub vaddr: u64,
    pub memsz: u64,
    pub offset: u64,
    /// Bytes present in the file; may be less than `memsz` (file-backed pages left out, or a
    /// truncated core: see [`CoreFile::truncated_bytes`]).
    pub filesz: u64,
    pub flags: u32,
}

/// Registers of one thread from NT_PRSTATUS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ThreadRegs {
    pub tid: u32,
    pub pc: u64,
    pub sp: u64,
    /// Frame pointer (rbp / x29).
    pub fp: u64,
    /// Link register on arm64 (x30), 0 on amd64.
    pub lr: u64,
    /// CPU time the thread had used (`pr_utime + pr_stime`), in nanoseconds.
    pub cpu_ns: u64,
}

/// One NT_FILE entry: a file mapped into the process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedFile {
    pub start: u64,
    pub end: u64,
    pub file_offset: u64,
    pub path: String,
}

/// What heapwise knows of a core file after reading its headers and notes.
#[derive(Debug, Clone)]
pub struct CoreFile {
    pub arch: Arch,
    pub segments: Vec<CoreSegment>,
    pub threads: Vec<ThreadRegs>,
    pub mapped_files: Vec<MappedFile>,
    pub auxv: Vec<(u64, u64)>,
    /// The process id (NT_PRPSINFO `pr_pid`), when the core has that note.
    pub pid: Option<u32>,
    /// Bytes of segment data the program headers promise but the file does not hold.
    pub truncated_bytes: u64,
    /// The address ranges of that missing data.
    pub truncated: Vec<(u64, u64)>,
    pub warnings: Vec<String>,
}

impl CoreFile {
    /// Parses the core's headers and notes.
    pub fn parse(src: &dyn ByteSource) -> Result<CoreFile, Error> {
        let header = read_elf_header(src, "the core file")?;
        match header.e_type {
            ET_CORE => {}
            ET_EXEC | ET_DYN => {
                return Err(Error::NotCore(
                    "the file given as the core is an executable or shared object, not a core dump (swapped arguments?)".into(),
                ))
            }
            t => return Err(Error::NotCore(format!("the file given as the core is an ELF file of type {t}, not a core dump"))),
        }
        let arch = arch_of(&header, "the core")?;
        let phdrs = read_program_headers(src, &header, "the core")?;
        let file_size = src.size();
        let mut segments = Vec::new();
        let mut threads = Vec::new();
        let mut mapped_files = Vec::new();
        let mut auxv = Vec::new();
        let mut pid = None;
        let mut warnings = Vec::new();
        let mut truncated_bytes = 0u64;
        let mut truncated = Vec::new();
        let mut note_budget = MAX_NOTE_SEGMENT;
        for ph in &phdrs {
            match ph.p_type {
                PT_LOAD => {
                    if ph.vaddr.checked_add(ph.memsz).is_none() {
                        warnings.push(format!("ignored a PT_LOAD segment at {:#x} that runs past the end of the address space", ph.vaddr));
                        continue;
                    }
                    let mut seg = CoreSegment {
                        vaddr: ph.vaddr,
                        memsz: ph.memsz,
                        offset: ph.offset,
                        filesz: ph.filesz.min(ph.memsz),
                        flags: ph.flags,
                    };
                    let available = file_size.saturating_sub(seg.offset);
                    if seg.filesz > available {
                        truncated_bytes = truncated_bytes.saturating_add(seg.filesz - available);
                        truncated.push((seg.vaddr + available, seg.vaddr + seg.filesz));
                        seg.filesz = available;
                    }
                    segments.push(seg);
                }
                PT_NOTE => {
                    if ph.filesz > note_budget {
                        warnings.push(format!("ignored a note segment of {} bytes", ph.filesz));
                        continue;
                    }
                    let len = ph.filesz.min(file_size.saturating_sub(ph.offset));
                    if len < ph.filesz {
                        warnings.push(if len == 0 {
                            "the core's notes (threads, auxiliary vector, mapped files) were cut off: the file is truncated".into()
                        } else {
                            "the core's notes are cut short: the file is truncated".into()
                        });
                    }
                    if len == 0 {
                        continue;
                    }
                    note_budget -= len;
                    let owned;
                    let data: &[u8] = match src.as_slice().and_then(|all| all.get(ph.offset as usize..(ph.offset + len) as usize)) {
                        Some(d) => d,
                        None => {
                            owned = src.read_vec(ph.offset, len as usize)?;
                            &owned
                        }
                    };
                    for note in NoteIter::new(data) {
                        match note.n_type {
                            NT_PRSTATUS => {
                                if let Some(r) = parse_prstatus(note.desc, arch) {
                                    threads.push(r)
                                }
                            }
                            NT_FILE => mapped_files = parse_nt_file(note.desc),
                            NT_PRPSINFO => pid = u32_at(note.desc, PRPSINFO_PID_OFFSET).filter(|&p| p != 0),
                            NT_AUXV => {
                                auxv = note
                                    .desc
                                    .chunks_exact(16)
                                    .map(|c| (u64_at(c, 0).unwrap_or(0), u64_at(c, 8).unwrap_or(0)))
                                    .take_while(|&(k, _)| k != 0)
                                    .collect()
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        // Real cores lay segments out one after the other; segments sharing file bytes
        // would let a small file claim an arbitrarily large address space.
        let mut by_offset: Vec<&CoreSegment> = segments.iter().filter(|s| s.filesz > 0).collect();
        by_offset.sort_by_key(|s| s.offset);
        for w in by_offset.windows(2) {
            if w[0].offset + w[0].filesz > w[1].offset {
                return Err(Error::Malformed(format!(
                    "the core's PT_LOAD segments at {:#x} and {:#x} overlap in the file",
                    w[0].vaddr, w[1].vaddr
                )));
            }
        }
        if truncated_bytes > 0 {
            warnings.push(format!(
                "the core file is truncated: {truncated_bytes} bytes of process memory are missing; objects there cannot be read"
            ));
        }
        segments.sort_by_key(|s| s.vaddr);
        Ok(CoreFile { arch, segments, threads, mapped_files, auxv, pid, truncated_bytes, truncated, warnings })
    }

    pub fn auxv_value(&self, key: u64) -> Option<u64> {
        self.auxv.iter().find(|&&(k, _)| k == key).map(|&(_, v)| v)
    }
}

/// One program header, decoded.
#[derive(Debug, Clone, Copy)]
pub struct ProgramHeader {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
}

/// Reads the program header table.
pub fn read_program_headers(src: &dyn ByteSource, h: &ElfHeader, what: &str) -> Result<Vec<ProgramHeader>, Error> {
    if h.phentsize as usize != 56 && h.phnum != 0 {
        return Err(Error::Malformed(format!("{what}: program header entries of {} bytes, expected 56", h.phentsize)));
    }
    let table_len = h.phnum as usize * 56;
    let table = src
        .read_vec(h.phoff, table_len)
        .map_err(|_| Error::Malformed(format!("{what}: the program header table lies outside the file")))?;
    Ok(table
        .chunks_exact(56)
        .map(|p| ProgramHeader {
            p_type: u32_at(p, 0).unwrap_or(0),
            flags: u32_at(p, 4).unwrap_or(0),
            offset: u64_at(p, 8).unwrap_or(0),
            vaddr: u64_at(p, 16).unwrap_or(0),
            filesz: u64_at(p, 32).unwrap_or(0),
            memsz: u64_at(p, 40).unwrap_or(0),
        })
        .collect())
}

struct Note<'a> {
    n_type: u32,
    desc: &'a [u8],
}

/// Iterates ELF notes (4-byte aligned name and descriptor, as in core files).
struct NoteIter<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> NoteIter<'a> {
    fn new(data: &'a [u8]) -> Self {
        NoteIter { data, pos: 0 }
    }
}

impl<'a> Iterator for NoteIter<'a> {
    type Item = Note<'a>;
    fn next(&mut self) -> Option<Note<'a>> {
        let align4 = |x: usize| x.checked_add(3).map(|v| v & !3);
        let d = self.data;
        let namesz = u32_at(d, self.pos)? as usize;
        let descsz = u32_at(d, self.pos + 4)? as usize;
        let n_type = u32_at(d, self.pos + 8)?;
        let name_start = self.pos + 12;
        let desc_start = name_start.checked_add(align4(namesz)?)?;
        let desc_end = desc_start.checked_add(descsz)?;
        let desc = d.get(desc_start..desc_end)?;
        self.pos = align4(desc_end)?;
        Some(Note { n_type, desc })
    }
}

fn parse_prstatus(desc: &[u8], arch: Arch) -> Option<ThreadRegs> {
    let tid = u32_at(desc, PRSTATUS_PID_OFFSET)?;
    let reg = |i: usize| u64_at(desc, PRSTATUS_REG_OFFSET + 8 * i);
    let timeval = |o: usize| {
        let (sec, usec) = (u64_at(desc, o).unwrap_or(0), u64_at(desc, o + 8).unwrap_or(0));
        sec.saturating_mul(1_000_000_000).saturating_add(usec.saturating_mul(1000))
    };
    let cpu_ns = timeval(PRSTATUS_UTIME_OFFSET).saturating_add(timeval(PRSTATUS_STIME_OFFSET));
    Some(match arch {
        // user_regs_struct: r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs eflags rsp ...
        Arch::Amd64 => ThreadRegs { tid, pc: reg(16)?, sp: reg(19)?, fp: reg(4)?, lr: 0, cpu_ns },
        // user_pt_regs: x0..x30, sp, pc, pstate
        Arch::Arm64 => ThreadRegs { tid, pc: reg(32)?, sp: reg(31)?, fp: reg(29)?, lr: reg(30)?, cpu_ns },
    })
}

fn parse_nt_file(desc: &[u8]) -> Vec<MappedFile> {
    let count = u64_at(desc, 0).unwrap_or(0) as usize;
    let page_size = u64_at(desc, 8).unwrap_or(4096);
    let table_end = match count.checked_mul(24).and_then(|n| n.checked_add(16)) {
        Some(e) if e <= desc.len() => e,
        _ => return Vec::new(),
    };
    let mut names = desc[table_end..].split(|&b| b == 0);
    (0..count)
        .filter_map(|i| {
            let e = 16 + i * 24;
            let path = String::from_utf8_lossy(names.next()?).into_owned();
            Some(MappedFile {
                start: u64_at(desc, e)?,
                end: u64_at(desc, e + 8)?,
                file_offset: u64_at(desc, e + 16)?.saturating_mul(page_size),
                path,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian x86-64 ELF core with the given program headers
    /// (type, offset, vaddr, filesz, memsz), padded to `len` bytes.
    fn core(e_type: u16, phdrs: &[(u32, u64, u64, u64, u64)], len: usize) -> Vec<u8> {
        let mut b = vec![0u8; len.max(64 + 56 * phdrs.len())];
        b[..4].copy_from_slice(ELF_MAGIC);
        b[4] = ELFCLASS64;
        b[5] = ELFDATA2LSB;
        b[16..18].copy_from_slice(&e_type.to_le_bytes());
        b[18..20].copy_from_slice(&EM_X86_64.to_le_bytes());
        b[32..40].copy_from_slice(&64u64.to_le_bytes());
        b[54..56].copy_from_slice(&56u16.to_le_bytes());
        b[56..58].copy_from_slice(&(phdrs.len() as u16).to_le_bytes());
        for (i, &(t, off, va, fs, ms)) in phdrs.iter().enumerate() {
            let p = 64 + 56 * i;
            b[p..p + 4].copy_from_slice(&t.to_le_bytes());
            b[p + 8..p + 16].copy_from_slice(&off.to_le_bytes());
            b[p + 16..p + 24].copy_from_slice(&va.to_le_bytes());
            b[p + 32..p + 40].copy_from_slice(&fs.to_le_bytes());
            b[p + 40..p + 48].copy_from_slice(&ms.to_le_bytes());
        }
        b
    }

    #[test]
    fn notes_cut_off_by_truncation_are_a_warning() {
        // gcore writes the notes last: a truncated gcore has none.
        let c = core(ET_CORE, &[(PT_LOAD, 0x1000, 0x40_0000, 0x1000, 0x1000), (PT_NOTE, 0x10_0000, 0, 0x800, 0)], 0x2000);
        let cf = CoreFile::parse(&c.as_slice()).unwrap();
        assert!(cf.threads.is_empty());
        assert!(cf.warnings.iter().any(|w| w.contains("notes") && w.contains("truncated")), "{:?}", cf.warnings);
    }

    #[test]
    fn segment_past_the_address_space_is_ignored() {
        let c = core(ET_CORE, &[(PT_LOAD, 0x1000, u64::MAX - 0xfff, 0x1000, 0x2000)], 0x2000);
        let cf = CoreFile::parse(&c.as_slice()).unwrap();
        assert!(cf.segments.is_empty());
        assert!(cf.warnings.iter().any(|w| w.contains("address space")));
    }

    #[test]
    fn segments_sharing_file_bytes_are_malformed() {
        let c = core(ET_CORE, &[(PT_LOAD, 0x1000, 0x40_0000, 0x1000, 0x1000), (PT_LOAD, 0x1800, 0x80_0000, 0x1000, 0x1000)], 0x3000);
        assert!(matches!(CoreFile::parse(&c.as_slice()), Err(Error::Malformed(m)) if m.contains("overlap")));
    }

    #[test]
    fn executables_and_other_elf_files_are_not_cores() {
        let c = core(ET_EXEC, &[], 0x100);
        assert!(matches!(CoreFile::parse(&c.as_slice()), Err(Error::NotCore(m)) if m.contains("swapped arguments")));
        let c = core(1, &[], 0x100);
        assert!(matches!(CoreFile::parse(&c.as_slice()), Err(Error::NotCore(_))));
        assert!(matches!(CoreFile::parse(&b"not an elf file at all, but long enough to have a header........".as_slice()), Err(Error::NotElf(_))));
    }
}
