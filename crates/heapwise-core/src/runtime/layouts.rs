//! Runtime structure layouts for executables without DWARF: per Go release, the types,
//! constants and global-variable types of the runtime packages, as the release's own DWARF
//! describes them. `scripts/gen-layouts.sh` regenerates the tables (`layouts/goVER.txt`)
//! from the DWARF of a program built by each release ([`write_table`]); [`table_for`]
//! reads the one matching the core's `runtime.buildVersion`.
//!
//! Table format, one record per line, tab-separated (type names contain spaces):
//! - `V  version`
//! - `T  shape  size  go_kind  key  elem  name`: type number N is the Nth `T` line; `shape`
//!   is `b:ENC` (base type), `p:N` or `p:-` (pointer, `unsafe.Pointer`), `s` (struct, its
//!   `F` lines follow), `a:N:LEN` (array), `t:N` (typedef), `f` (func), `u` (unknown);
//!   `key`/`elem` are type numbers or `-`.
//! - `F  offset  type  embedded  name`: a member of the last struct.
//! - `C  value  name`: a constant.
//! - `G  type  name`: a global variable's type (its address comes from the binary).

use std::collections::{HashMap, VecDeque};

use crate::formats::dwarf::{Dwarf, Field, Global, Shape, Type, TypeId};
use crate::Error;

/// The tables committed in the crate, by Go version.
const TABLES: &[(&str, &str)] = &[
    ("go1.22.10", include_str!("../../layouts/go1.22.10.txt")),
    ("go1.23.9", include_str!("../../layouts/go1.23.9.txt")),
    ("go1.24.11", include_str!("../../layouts/go1.24.11.txt")),
    ("go1.25.5", include_str!("../../layouts/go1.25.5.txt")),
    ("go1.26.6", include_str!("../../layouts/go1.26.6.txt")),
    ("go1.27.3", include_str!("../../layouts/go1.27.3.txt")),
];

/// Packages whose types, constants and globals go in the table.
fn is_runtime_name(name: &str) -> bool {
    ["runtime.", "internal/abi.", "internal/runtime/", "internal/goarch.", "internal/sync."].iter().any(|p| name.starts_with(p))
}

/// Most type records one table may hold (a bound for reading a damaged table).
const MAX_TYPES: usize = 1 << 20;

/// The Go versions a table exists for.
pub fn supported_versions() -> Vec<&'static str> {
    TABLES.iter().map(|(v, _)| *v).collect()
}

/// The layout table for `version` (`go1.26.6`, possibly with ` X:...` experiments): the
/// exact release, else another patch release of the same minor version (struct layouts do
/// not change within one), said in the returned note.
pub fn table_for(version: &str) -> Result<(Dwarf, Option<String>), Error> {
    let bare = version.split_whitespace().next().unwrap_or(version);
    if let Some((_, t)) = TABLES.iter().find(|(v, _)| *v == bare) {
        return Ok((read_table(t)?, None));
    }
    let minor = crate::formats::exe::parse_go_version(bare);
    if let Some((v, t)) = TABLES.iter().find(|(v, _)| minor.is_some() && crate::formats::exe::parse_go_version(v) == minor) {
        return Ok((read_table(t)?, Some(format!("runtime layouts of {v} used for {bare} (no DWARF; same minor release)"))));
    }
    Err(Error::MissingRuntimeInfo(format!(
        "the executable has no DWARF and heapwise has no runtime layout table for {bare}; tables exist for {}",
        supported_versions().join(", ")
    )))
}

/// Serializes the runtime part of `dwarf`: every named type of the runtime packages, the
/// types they refer to, the runtime constants and the types of runtime globals.
pub fn write_table(dwarf: &Dwarf, version: &str) -> String {
    let mut order: Vec<TypeId> = Vec::new();
    let mut number: HashMap<TypeId, usize> = HashMap::new();
    let mut queue: VecDeque<TypeId> = VecDeque::new();
    let mut visit = |t: TypeId, queue: &mut VecDeque<TypeId>, order: &mut Vec<TypeId>| {
        if let std::collections::hash_map::Entry::Vacant(e) = number.entry(t) {
            e.insert(order.len());
            order.push(t);
            queue.push_back(t);
        }
    };
    let mut roots: Vec<TypeId> = (0..dwarf.types.len() as TypeId)
        .filter(|&i| is_runtime_name(&dwarf.ty(i).name) && dwarf.type_by_name(&dwarf.ty(i).name) == Some(i))
        .collect();
    let globals: Vec<&Global> = dwarf.globals.iter().filter(|g| is_runtime_name(&g.name)).collect();
    roots.extend(globals.iter().map(|g| g.ty));
    for r in roots {
        visit(r, &mut queue, &mut order);
    }
    while let Some(t) = queue.pop_front() {
        let ty = dwarf.ty(t);
        let mut refs: Vec<TypeId> = ty.key.into_iter().chain(ty.elem).collect();
        match &ty.shape {
            Shape::Pointer(Some(p)) | Shape::Typedef(p) => refs.push(*p),
            Shape::Array { elem, .. } => refs.push(*elem),
            Shape::Struct(fields) => refs.extend(fields.iter().map(|f| f.ty)),
            _ => {}
        }
        for r in refs {
            visit(r, &mut queue, &mut order);
        }
    }
    let n = |t: Option<TypeId>| t.map(|t| number[&t].to_string()).unwrap_or_else(|| "-".into());
    let mut out = format!("V\t{version}\n");
    for &t in &order {
        let ty = dwarf.ty(t);
        let shape = match &ty.shape {
            Shape::Base(e) => format!("b:{e}"),
            Shape::Pointer(p) => format!("p:{}", n(*p)),
            Shape::Struct(_) => "s".into(),
            Shape::Array { elem, len } => format!("a:{}:{len}", number[elem]),
            Shape::Typedef(p) => format!("t:{}", number[p]),
            Shape::Func => "f".into(),
            Shape::Unknown => "u".into(),
        };
        out.push_str(&format!("T\t{shape}\t{}\t{}\t{}\t{}\t{}\n", ty.size, ty.go_kind, n(ty.key), n(ty.elem), ty.name));
        if let Shape::Struct(fields) = &ty.shape {
            for f in fields {
                out.push_str(&format!("F\t{}\t{}\t{}\t{}\n", f.offset, number[&f.ty], u8::from(f.embedded), f.name));
            }
        }
    }
    let mut consts: Vec<(&String, &i64)> = dwarf.constants.iter().filter(|(k, _)| is_runtime_name(k)).collect();
    consts.sort();
    for (k, v) in consts {
        out.push_str(&format!("C\t{v}\t{k}\n"));
    }
    let mut gl: Vec<(&str, usize)> = globals.iter().map(|g| (g.name.as_str(), number[&g.ty])).collect();
    gl.sort();
    gl.dedup();
    for (name, t) in gl {
        out.push_str(&format!("G\t{t}\t{name}\n"));
    }
    out
}

/// Reads a table into a type table with the runtime globals' types in
/// [`Dwarf::globals`] at address 0 (the caller locates them).
pub fn read_table(text: &str) -> Result<Dwarf, Error> {
    let bad = |line: usize, what: &str| Error::Malformed(format!("runtime layout table line {}: {what}", line + 1));
    let mut types: Vec<Type> = Vec::new();
    let mut constants: HashMap<String, i64> = HashMap::new();
    let mut globals: Vec<Global> = Vec::new();
    // The highest type number referred to, checked once all types are read.
    let mut max_ref = 0usize;
    for (i, line) in text.lines().enumerate() {
        let cols: Vec<&str> = line.split('\t').collect();
        let num = |s: &str| s.parse::<u64>().map_err(|_| bad(i, "bad number"));
        let opt = |s: &str| -> Result<Option<TypeId>, Error> {
            if s == "-" {
                Ok(None)
            } else {
                s.parse::<TypeId>().map(Some).map_err(|_| bad(i, "bad type number"))
            }
        };
        match cols.as_slice() {
            ["V", _] => {}
            ["T", shape, size, kind, key, elem, name] => {
                if types.len() >= MAX_TYPES {
                    return Err(bad(i, "too many types"));
                }
                let mut parts = shape.split(':');
                let shape = match (parts.next(), parts.next(), parts.next()) {
                    (Some("b"), Some(e), None) => Shape::Base(num(e)? as u8),
                    (Some("p"), Some(p), None) => Shape::Pointer(opt(p)?),
                    (Some("s"), None, None) => Shape::Struct(Vec::new()),
                    (Some("a"), Some(e), Some(l)) => Shape::Array { elem: num(e)? as TypeId, len: num(l)? },
                    (Some("t"), Some(p), None) => Shape::Typedef(num(p)? as TypeId),
                    (Some("f"), None, None) => Shape::Func,
                    (Some("u"), None, None) => Shape::Unknown,
                    _ => return Err(bad(i, "bad shape")),
                };
                let key = opt(key)?;
                let elem = opt(elem)?;
                let refs = key.into_iter().chain(elem).chain(match &shape {
                    Shape::Pointer(Some(p)) | Shape::Typedef(p) => Some(*p),
                    Shape::Array { elem, .. } => Some(*elem),
                    _ => None,
                });
                max_ref = max_ref.max(refs.max().unwrap_or(0) as usize);
                types.push(Type {
                    name: name.to_string(),
                    size: num(size)?,
                    go_kind: num(kind)? as u8,
                    runtime_type: 0,
                    key,
                    elem,
                    shape,
                });
            }
            ["F", off, ty, emb, name] => {
                let ty = num(ty)? as TypeId;
                max_ref = max_ref.max(ty as usize);
                let f = Field { name: name.to_string(), offset: num(off)?, ty, embedded: *emb == "1" };
                match types.last_mut().map(|t| &mut t.shape) {
                    Some(Shape::Struct(fields)) => fields.push(f),
                    _ => return Err(bad(i, "a field outside a struct")),
                }
            }
            ["C", v, name] => {
                constants.insert(name.to_string(), v.parse::<i64>().map_err(|_| bad(i, "bad constant"))?);
            }
            ["G", ty, name] => {
                let ty = num(ty)? as TypeId;
                max_ref = max_ref.max(ty as usize);
                globals.push(Global { name: name.to_string(), addr: 0, ty });
            }
            [""] => {}
            _ => return Err(bad(i, "unknown record")),
        }
    }
    if max_ref >= types.len() {
        return Err(Error::Malformed(format!("runtime layout table refers to type {max_ref} of {}", types.len())));
    }
    Ok(Dwarf::from_parts(types, globals, constants))
}
