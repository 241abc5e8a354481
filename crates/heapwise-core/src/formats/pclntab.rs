//! The Go 1.20+ pc/line table (`pclntab`, magic `0xfffffff1`), reached through
//! `runtime.firstmoduledata`: function lookup by pc, the pc-value tables (frame size, file,
//! line, pcdata), funcdata addresses and the inline tree.
//!
//! Layouts of `runtime.moduledata`, `runtime.pcHeader`, `runtime._func`, `runtime.functab`
//! and `runtime.inlinedCall` come from the executable's DWARF; the tables are copied out of
//! process memory once so lookups do not go back to the byte source.
//!
//! Reference: Go's `runtime/symtab.go`, `runtime/symtabinl.go`, `internal/abi/symtab.go`.

use crate::runtime::memory::Memory;
use crate::runtime::rt::Rt;
use crate::Error;

/// `abi.Go120PCLnTabMagic`: the pclntab format of Go 1.20 and later.
pub const GO120_MAGIC: u32 = 0xffff_fff1;
/// `abi.FuncFlagTopFrame`: the function is the top of its stack.
pub const FUNC_FLAG_TOP_FRAME: u8 = 1;
/// `abi.FuncFlagSPWrite`: the function writes SP in a way the pcsp table cannot describe.
pub const FUNC_FLAG_SPWRITE: u8 = 2;
/// `abi.FuncFlagAsm`: the function is written in assembly.
pub const FUNC_FLAG_ASM: u8 = 4;
/// `abi.ArgsSizeUnknown`.
pub const ARGS_SIZE_UNKNOWN: i32 = i32::MIN;
/// Tables larger than this are not believed (a corrupt moduledata must not allocate GBs).
const MAX_TABLE: u64 = 1 << 28;

/// `runtime._func` field offsets.
#[derive(Debug, Clone, Copy)]
struct FuncLayout {
    entry_off: u64,
    name_off: u64,
    args: u64,
    deferreturn: u64,
    pcsp: u64,
    pcfile: u64,
    pcln: u64,
    npcdata: u64,
    cu_offset: u64,
    start_line: u64,
    funcid: u64,
    flag: u64,
    nfuncdata: u64,
    /// Where the pcdata/funcdata offset arrays start.
    tail: u64,
}

/// `runtime.inlinedCall` field offsets and size.
#[derive(Debug, Clone, Copy)]
struct InlLayout {
    size: u64,
    funcid: u64,
    name_off: u64,
    parent_pc: u64,
}

/// The `internal/abi` indices and special function IDs, read from DWARF constants (or
/// from the functions themselves when the constant is absent).
#[derive(Debug, Clone, Default)]
pub struct AbiConsts {
    pub pcdata_stack_map_index: u32,
    pub pcdata_inl_tree_index: u32,
    pub funcdata_args_pointer_maps: u8,
    pub funcdata_locals_pointer_maps: u8,
    pub funcdata_stack_objects: u8,
    pub funcdata_inl_tree: u8,
    /// `FUNCDATA_ArgInfo`: where the arguments are, for tracebacks.
    pub funcdata_arg_info: u8,
    pub funcid_goexit: Option<u8>,
    pub funcid_mstart: Option<u8>,
    pub funcid_rt0_go: Option<u8>,
    pub funcid_sigpanic: Option<u8>,
    pub funcid_async_preempt: Option<u8>,
    pub funcid_debug_call_v2: Option<u8>,
    pub funcid_systemstack: Option<u8>,
    pub funcid_systemstack_switch: Option<u8>,
    pub funcid_morestack: Option<u8>,
    pub funcid_mcall: Option<u8>,
    pub funcid_gogo: Option<u8>,
    pub funcid_cgocallback: Option<u8>,
}

/// One function's `_func` record, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncInfo {
    /// Relocated entry pc.
    pub entry: u64,
    pub name: String,
    /// Size of the stack argument area, or [`ARGS_SIZE_UNKNOWN`].
    pub args: i32,
    /// Offset of the deferreturn call from `entry`, 0 if none.
    pub deferreturn: u32,
    pub pcsp: u32,
    pub pcfile: u32,
    pub pcln: u32,
    pub npcdata: u32,
    pub cu_offset: u32,
    pub start_line: i32,
    pub funcid: u8,
    pub flag: u8,
    pub nfuncdata: u8,
    /// Offset of the `_func` record in `moduledata.pclntable`.
    pub func_off: u32,
}

/// One logical (possibly inlined) frame at a pc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineFrame {
    pub function: String,
    pub file: String,
    pub line: u32,
    pub funcid: u8,
}

/// The decoded pclntab of the main module.
#[derive(Debug)]
pub struct Pclntab {
    /// `moduledata.text`, relocated.
    pub text: u64,
    pub etext: u64,
    pub minpc: u64,
    pub maxpc: u64,
    /// Base of funcdata offsets (`go:func.*`).
    pub gofunc: u64,
    /// Base of stack object gcdata offsets.
    pub rodata: u64,
    /// Instruction size quantum (`pcHeader.minLC`): 1 on amd64, 4 on arm64.
    pub quantum: u32,
    pub ptr_size: u8,
    pub consts: AbiConsts,
    funcnametab: Vec<u8>,
    cutab: Vec<u32>,
    filetab: Vec<u8>,
    pctab: Vec<u8>,
    pclntable: Vec<u8>,
    /// (entryoff, funcoff); the sentinel last entry is dropped.
    ftab: Vec<(u32, u32)>,
    /// `entryoff` of the sentinel: end of the last function.
    end_off: u32,
    func: FuncLayout,
    inl: InlLayout,
}

fn u32_le(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off.checked_add(4)?)?.try_into().ok()?))
}

fn cstr(b: &[u8], off: usize) -> Option<String> {
    let s = b.get(off..)?;
    let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
    Some(String::from_utf8_lossy(&s[..end]).into_owned())
}

/// Reads an unsigned LEB128 varint of at most 32 bits (Go's `readvarint`). Returns the
/// value and the number of bytes consumed.
pub fn read_varint(p: &[u8]) -> Option<(u32, usize)> {
    // At most 5 bytes: a longer varint, or a value past 32 bits, is not one Go wrote.
    let (v, n) = crate::bytes::uvarint(p, 0)?;
    if n > 5 {
        return None;
    }
    Some((u32::try_from(v).ok()?, n))
}

/// Decodes a pc-value table starting at `table` for a function at `entry` and returns the
/// value in effect at `pc`. Each step is a zigzag value delta then a pc delta in units of
/// `quantum`; the table ends at a zero value delta (after the first step). The initial
/// value is -1. `None` when `pc` lies past the table's end or the table is malformed.
pub fn decode_pcvalue(table: &[u8], entry: u64, pc: u64, quantum: u32) -> Option<i32> {
    let mut p = table;
    let mut val: i32 = -1;
    let mut cur = entry;
    let mut first = true;
    loop {
        let (uv, n) = read_varint(p)?;
        if uv == 0 && !first {
            return None;
        }
        first = false;
        p = &p[n..];
        let delta = (-((uv & 1) as i32)) ^ ((uv >> 1) as i32);
        val = val.wrapping_add(delta);
        let (pcd, n) = read_varint(p)?;
        p = &p[n..];
        cur = cur.checked_add(pcd as u64 * quantum as u64)?;
        if pc < cur {
            return Some(val);
        }
    }
}

fn read_table(rt: &Rt<'_>, ptr: u64, len: u64, what: &str) -> Result<Vec<u8>, Error> {
    if len > MAX_TABLE {
        return Err(Error::Malformed(format!("moduledata.{what} claims {len} bytes")));
    }
    // The tables are the executable's bytes (or the core's copy of them), never zero fill.
    if !rt.mem.is_file_backed(ptr, len) {
        return Err(Error::Malformed(format!("moduledata.{what} ({len} bytes at {ptr:#x}) is not in the executable or core")));
    }
    Ok(rt.mem.bytes(ptr, len as usize)?.into_owned())
}

impl Pclntab {
    /// Reads the main module's tables through `runtime.firstmoduledata`.
    pub fn new(rt: &Rt<'_>) -> Result<Pclntab, Error> {
        const MD: &str = "runtime.moduledata";
        let md = rt.global("runtime.firstmoduledata")?;
        let field = |name: &str| rt.u64_field(md, MD, name);
        let hdr = field("pcHeader")?;
        let magic = rt.mem.u32(hdr + rt.off_opt("runtime.pcHeader", "magic").unwrap_or(0))?;
        if magic != GO120_MAGIC {
            return Err(Error::Unsupported(format!(
                "pclntab magic {magic:#x}: only the Go 1.20+ format ({GO120_MAGIC:#x}) is read"
            )));
        }
        let quantum = rt.mem.u8(hdr + rt.off_opt("runtime.pcHeader", "minLC").unwrap_or(6))? as u32;
        let ptr_size = rt.mem.u8(hdr + rt.off_opt("runtime.pcHeader", "ptrSize").unwrap_or(7))?;
        if !matches!(quantum, 1 | 2 | 4) || ptr_size != 8 {
            return Err(Error::Unsupported(format!("pclntab with pc quantum {quantum} and pointer size {ptr_size}")));
        }
        let slice = |name: &str| -> Result<(u64, u64), Error> {
            let (p, l, _) = rt.slice(md + rt.off(MD, name)?)?;
            Ok((p, l))
        };
        let (p, l) = slice("funcnametab")?;
        let funcnametab = read_table(rt, p, l, "funcnametab")?;
        let (p, l) = slice("cutab")?;
        let cut = read_table(rt, p, l.saturating_mul(4), "cutab")?;
        let cutab = cut.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap_or([0; 4]))).collect();
        let (p, l) = slice("filetab")?;
        let filetab = read_table(rt, p, l, "filetab")?;
        let (p, l) = slice("pctab")?;
        let pctab = read_table(rt, p, l, "pctab")?;
        let (p, l) = slice("pclntable")?;
        let pclntable = read_table(rt, p, l, "pclntable")?;
        let ftab_elem = rt.dwarf.size_of("runtime.functab").unwrap_or(8).max(8);
        let fo_entry = rt.off_opt("runtime.functab", "entryoff").unwrap_or(0);
        let fo_func = rt.off_opt("runtime.functab", "funcoff").unwrap_or(4);
        let (p, l) = slice("ftab")?;
        let raw = read_table(rt, p, l.saturating_mul(ftab_elem), "ftab")?;
        let mut ftab: Vec<(u32, u32)> = raw
            .chunks_exact(ftab_elem as usize)
            .map(|c| (u32_le(c, fo_entry as usize).unwrap_or(0), u32_le(c, fo_func as usize).unwrap_or(0)))
            .collect();
        let end_off = match ftab.pop() {
            Some((e, _)) => e,
            None => return Err(Error::Malformed("the pclntab has no functions".into())),
        };

        let fl = |name: &str| rt.off("runtime._func", name);
        let nfd = fl("nfuncdata")?;
        let func = FuncLayout {
            entry_off: fl("entryOff")?,
            name_off: fl("nameOff")?,
            args: fl("args")?,
            deferreturn: fl("deferreturn")?,
            pcsp: fl("pcsp")?,
            pcfile: fl("pcfile")?,
            pcln: fl("pcln")?,
            npcdata: fl("npcdata")?,
            cu_offset: fl("cuOffset")?,
            start_line: fl("startLine")?,
            funcid: fl("funcID")?,
            flag: fl("flag")?,
            nfuncdata: nfd,
            tail: rt.dwarf.size_of("runtime._func").unwrap_or(nfd + 1).max(nfd + 1),
        };
        let il = |name: &str, d: u64| rt.off_opt("runtime.inlinedCall", name).unwrap_or(d);
        let inl = InlLayout {
            size: rt.dwarf.size_of("runtime.inlinedCall").filter(|&s| s > 0).unwrap_or(16),
            funcid: il("funcID", 0),
            name_off: il("nameOff", 4),
            parent_pc: il("parentPc", 8),
        };
        let mut t = Pclntab {
            text: field("text")?,
            etext: field("etext").unwrap_or(0),
            minpc: field("minpc")?,
            maxpc: field("maxpc")?,
            gofunc: field("gofunc")?,
            rodata: field("rodata")?,
            quantum,
            ptr_size,
            consts: AbiConsts::default(),
            funcnametab,
            cutab,
            filetab,
            pctab,
            pclntable,
            ftab,
            end_off,
            func,
            inl,
        };
        t.consts = t.read_consts(rt);
        Ok(t)
    }

    fn read_consts(&self, rt: &Rt<'_>) -> AbiConsts {
        let c = |name: &str, default: i64| -> i64 {
            rt.constant(&[&format!("internal/abi.{name}"), &format!("runtime.{name}"), &format!("runtime._{name}")])
                .unwrap_or(default)
        };
        // Function IDs are renumbered between releases: take them from DWARF, or from the
        // function itself.
        let names: Vec<(&str, &str)> = vec![
            ("goexit", "runtime.goexit"),
            ("mstart", "runtime.mstart"),
            ("rt0_go", "runtime.rt0_go"),
            ("sigpanic", "runtime.sigpanic"),
            ("asyncPreempt", "runtime.asyncPreempt"),
            ("debugCallV2", "runtime.debugCallV2"),
            ("systemstack", "runtime.systemstack"),
            ("systemstack_switch", "runtime.systemstack_switch"),
            ("morestack", "runtime.morestack"),
            ("mcall", "runtime.mcall"),
            ("gogo", "runtime.gogo"),
            ("cgocallback", "runtime.cgocallback"),
        ];
        let mut ids: Vec<Option<u8>> = names
            .iter()
            .map(|(n, _)| rt.constant(&[&format!("internal/abi.FuncID_{n}")]).ok().map(|v| v as u8))
            .collect();
        if ids.iter().any(|i| i.is_none()) {
            for i in 0..self.ftab.len() {
                let Some(fi) = self.func_at_index(i) else { continue };
                if let Some(k) = names.iter().position(|(_, full)| *full == fi.name) {
                    if ids[k].is_none() {
                        ids[k] = Some(fi.funcid);
                    }
                }
            }
        }
        AbiConsts {
            pcdata_stack_map_index: c("PCDATA_StackMapIndex", 1) as u32,
            pcdata_inl_tree_index: c("PCDATA_InlTreeIndex", 2) as u32,
            funcdata_args_pointer_maps: c("FUNCDATA_ArgsPointerMaps", 0) as u8,
            funcdata_locals_pointer_maps: c("FUNCDATA_LocalsPointerMaps", 1) as u8,
            funcdata_stack_objects: c("FUNCDATA_StackObjects", 2) as u8,
            funcdata_inl_tree: c("FUNCDATA_InlTree", 3) as u8,
            funcdata_arg_info: c("FUNCDATA_ArgInfo", 5) as u8,
            funcid_goexit: ids[0],
            funcid_mstart: ids[1],
            funcid_rt0_go: ids[2],
            funcid_sigpanic: ids[3],
            funcid_async_preempt: ids[4],
            funcid_debug_call_v2: ids[5],
            funcid_systemstack: ids[6],
            funcid_systemstack_switch: ids[7],
            funcid_morestack: ids[8],
            funcid_mcall: ids[9],
            funcid_gogo: ids[10],
            funcid_cgocallback: ids[11],
        }
    }

    /// Number of functions.
    pub fn len(&self) -> usize {
        self.ftab.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ftab.is_empty()
    }

    /// Whether `pc` lies in the module's code.
    pub fn contains_pc(&self, pc: u64) -> bool {
        self.minpc <= pc && pc < self.maxpc
    }

    fn func_at_index(&self, i: usize) -> Option<FuncInfo> {
        let (_, funcoff) = *self.ftab.get(i)?;
        self.decode_func(funcoff)
    }

    fn decode_func(&self, funcoff: u32) -> Option<FuncInfo> {
        let b = &self.pclntable;
        let base = funcoff as usize;
        let l = &self.func;
        let u32f = |o: u64| u32_le(b, base + o as usize);
        let u8f = |o: u64| b.get(base + o as usize).copied();
        let name_off = u32f(l.name_off)? as i32;
        let name = if name_off >= 0 { cstr(&self.funcnametab, name_off as usize).unwrap_or_default() } else { String::new() };
        Some(FuncInfo {
            entry: self.text.wrapping_add(u32f(l.entry_off)? as u64),
            name,
            args: u32f(l.args)? as i32,
            deferreturn: u32f(l.deferreturn)?,
            pcsp: u32f(l.pcsp)?,
            pcfile: u32f(l.pcfile)?,
            pcln: u32f(l.pcln)?,
            npcdata: u32f(l.npcdata)?,
            cu_offset: u32f(l.cu_offset)?,
            start_line: u32f(l.start_line)? as i32,
            funcid: u8f(l.funcid)?,
            flag: u8f(l.flag)?,
            nfuncdata: u8f(l.nfuncdata)?,
            func_off: funcoff,
        })
    }

    /// The function containing `pc` (binary search over `ftab`).
    pub fn find_func(&self, pc: u64) -> Option<FuncInfo> {
        if !self.contains_pc(pc) || pc < self.text {
            return None;
        }
        let off = pc - self.text;
        if off >= self.end_off as u64 {
            return None;
        }
        let i = self.ftab.partition_point(|&(e, _)| e as u64 <= off).checked_sub(1)?;
        self.func_at_index(i)
    }

    /// Entry pcs of every function named `name` (linear; for lookups done once).
    pub fn entries_named(&self, name: &str) -> Vec<u64> {
        (0..self.ftab.len()).filter_map(|i| self.func_at_index(i)).filter(|f| f.name == name).map(|f| f.entry).collect()
    }

    /// Looks a function up by its full name (linear; for tests and rare lookups).
    pub fn func_by_name(&self, name: &str) -> Option<FuncInfo> {
        (0..self.ftab.len()).filter_map(|i| self.func_at_index(i)).find(|f| f.name == name)
    }

    /// The value of the pc-value table at `table_off` (in `pctab`) for the function at
    /// `entry`, at `pc`. `None` for table offset 0 (no table) or a pc past the table.
    pub fn pcvalue(&self, table_off: u32, entry: u64, pc: u64) -> Option<i32> {
        if table_off == 0 || pc < entry {
            return None;
        }
        decode_pcvalue(self.pctab.get(table_off as usize..)?, entry, pc, self.quantum)
    }

    /// Bytes the function's frame occupies below its entry SP at `pc` (`funcspdelta`).
    pub fn sp_delta(&self, f: &FuncInfo, pc: u64) -> Option<i32> {
        self.pcvalue(f.pcsp, f.entry, pc)
    }

    /// Offset in `pctab` of the function's pcdata table `idx`, `None` if absent.
    pub fn pcdata_offset(&self, f: &FuncInfo, idx: u32) -> Option<u32> {
        if idx >= f.npcdata {
            return None;
        }
        let at = f.func_off as u64 + self.func.tail + 4 * idx as u64;
        u32_le(&self.pclntable, at as usize).filter(|&o| o != 0)
    }

    /// The pcdata value `idx` at `pc`; `None` when the function has no such table (the
    /// runtime's -1).
    pub fn pcdata(&self, f: &FuncInfo, idx: u32, pc: u64) -> Option<i32> {
        self.pcvalue(self.pcdata_offset(f, idx)?, f.entry, pc)
    }

    /// Offset of funcdata `idx` from `gofunc`, `None` for absent (`^0`).
    pub fn funcdata_offset(&self, f: &FuncInfo, idx: u8) -> Option<u32> {
        if idx >= f.nfuncdata {
            return None;
        }
        let at = f.func_off as u64 + self.func.tail + 4 * f.npcdata as u64 + 4 * idx as u64;
        u32_le(&self.pclntable, at as usize).filter(|&o| o != u32::MAX)
    }

    /// Relocated address of funcdata `idx`.
    pub fn funcdata(&self, f: &FuncInfo, idx: u8) -> Option<u64> {
        Some(self.gofunc.wrapping_add(self.funcdata_offset(f, idx)? as u64))
    }

    /// The name of file number `fileno` of the compilation unit at `cu_offset`.
    pub fn file_name(&self, cu_offset: u32, fileno: i32) -> Option<String> {
        if fileno < 0 {
            return None;
        }
        let off = *self.cutab.get(cu_offset as usize + fileno as usize)?;
        if off == u32::MAX {
            return None;
        }
        cstr(&self.filetab, off as usize)
    }

    /// Source file and line of `pc` in `f` (`"?", 0` when unknown). For a return address
    /// pass `pc - 1` to get the call's line.
    pub fn file_line(&self, f: &FuncInfo, pc: u64) -> (String, u32) {
        let file = self.pcvalue(f.pcfile, f.entry, pc).and_then(|n| self.file_name(f.cu_offset, n));
        let line = self.pcvalue(f.pcln, f.entry, pc).filter(|&l| l >= 0);
        match (file, line) {
            (Some(file), Some(line)) => (file, line as u32),
            _ => ("?".into(), 0),
        }
    }

    /// Name at `off` in `funcnametab`.
    pub fn name_at(&self, off: i32) -> Option<String> {
        if off < 0 {
            return None;
        }
        cstr(&self.funcnametab, off as usize)
    }

    /// The logical frames at the call pc `pc` of `f`: the inlined calls innermost first,
    /// ending with `f` itself at its own line. Reads the inline tree from `mem`.
    pub fn inline_frames(&self, mem: &Memory, f: &FuncInfo, pc: u64) -> Vec<InlineFrame> {
        let mut out = Vec::new();
        let tree = self.funcdata(f, self.consts.funcdata_inl_tree);
        let mut pc = pc;
        for _ in 0..1024 {
            let (file, line) = self.file_line(f, pc);
            let idx = match tree {
                Some(_) => self.pcdata(f, self.consts.pcdata_inl_tree_index, pc).unwrap_or(-1),
                None => -1,
            };
            let rec = match (tree, idx) {
                (Some(t), i) if i >= 0 => Some(t + i as u64 * self.inl.size),
                _ => None,
            };
            let Some(rec) = rec else {
                out.push(InlineFrame { function: f.name.clone(), file, line, funcid: f.funcid });
                return out;
            };
            let name_off = mem.u32(rec.wrapping_add(self.inl.name_off)).ok().map(|v| v as i32);
            let funcid = mem.u8(rec.wrapping_add(self.inl.funcid)).unwrap_or(0);
            let parent = mem.u32(rec.wrapping_add(self.inl.parent_pc)).ok().map(|v| v as i32);
            let function = name_off.and_then(|o| self.name_at(o)).unwrap_or_else(|| "?".into());
            out.push(InlineFrame { function, file, line, funcid });
            match parent {
                Some(p) if p >= 0 && f.entry + p as u64 != pc => pc = f.entry + p as u64,
                _ => {
                    let (file, line) = self.file_line(f, pc);
                    out.push(InlineFrame { function: f.name.clone(), file, line, funcid: f.funcid });
                    return out;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(mut v: u32, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    fn zigzag(v: i32) -> u32 {
        ((v << 1) ^ (v >> 31)) as u32
    }

    /// Encodes (value, run length in instructions) pairs the way cmd/internal/obj does.
    fn encode(pairs: &[(i32, u32)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut prev = -1;
        for &(v, n) in pairs {
            varint(zigzag(v - prev), &mut out);
            varint(n, &mut out);
            prev = v;
        }
        out.push(0);
        out
    }

    #[test]
    fn varints() {
        assert_eq!(read_varint(&[0x05]), Some((5, 1)));
        assert_eq!(read_varint(&[0x80, 0x01]), Some((128, 2)));
        assert_eq!(read_varint(&[0xff, 0xff, 0xff, 0xff, 0x0f]), Some((u32::MAX, 5)));
        assert_eq!(read_varint(&[0x80]), None);
        assert_eq!(read_varint(&[]), None);
    }

    #[test]
    fn pcvalue_runs() {
        // Frame size 0 for 4 bytes, 0x28 for 300 bytes, 0 for 1 byte.
        let t = encode(&[(0, 4), (0x28, 300), (0, 1)]);
        let e = 0x1000;
        assert_eq!(decode_pcvalue(&t, e, e, 1), Some(0));
        assert_eq!(decode_pcvalue(&t, e, e + 3, 1), Some(0));
        assert_eq!(decode_pcvalue(&t, e, e + 4, 1), Some(0x28));
        assert_eq!(decode_pcvalue(&t, e, e + 303, 1), Some(0x28));
        assert_eq!(decode_pcvalue(&t, e, e + 304, 1), Some(0));
        assert_eq!(decode_pcvalue(&t, e, e + 305, 1), None);
    }

    #[test]
    fn pcvalue_negative_and_quantum() {
        // Stack map index -1, then 0, 2, -1 with 4-byte instructions.
        let t = encode(&[(-1, 2), (0, 3), (2, 1), (-1, 5)]);
        let e = 0x40_0000;
        assert_eq!(decode_pcvalue(&t, e, e + 4, 4), Some(-1));
        assert_eq!(decode_pcvalue(&t, e, e + 8, 4), Some(0));
        assert_eq!(decode_pcvalue(&t, e, e + 19, 4), Some(0));
        assert_eq!(decode_pcvalue(&t, e, e + 20, 4), Some(2));
        assert_eq!(decode_pcvalue(&t, e, e + 24, 4), Some(-1));
        assert_eq!(decode_pcvalue(&t, e, e + 44, 4), None);
    }

    #[test]
    fn pcvalue_first_zero_delta_is_not_end() {
        // A first value of -1 encodes as a zero delta: it must not end the table.
        let t = encode(&[(-1, 8), (5, 8)]);
        assert_eq!(decode_pcvalue(&t, 0, 0, 1), Some(-1));
        assert_eq!(decode_pcvalue(&t, 0, 9, 1), Some(5));
    }

    #[test]
    fn pcvalue_truncated_table() {
        let mut t = encode(&[(3, 1000)]);
        t.truncate(2);
        assert_eq!(decode_pcvalue(&t, 0, 5, 1), None);
    }
}
