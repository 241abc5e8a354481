//! The one place the web crate touches the analysis engine.
//!
//! Everything else (worker, page) goes through [`Engine`], whose methods mirror
//! `heapwise_core::analysis::Analysis`; the `fake-engine` feature serves made-up data for
//! working on the page alone.

use heapwise_core::report::{
    Breakdown, DominatorNode, GoroutineInfo, HistogramRow, ObjectDetail, ObjectRow, Overview, RootPath,
    Suspect, WhatIf,
};
use heapwise_core::source::ByteSource;

/// Progress callback: (phase, fraction 0..1) -> keep going.
pub type Progress<'a> = &'a mut dyn FnMut(&str, f64) -> bool;

/// The real engine: `heapwise_core::analysis::Analysis`.
#[cfg(not(feature = "fake-engine"))]
pub struct Engine {
    inner: heapwise_core::analysis::Analysis,
}

#[cfg(not(feature = "fake-engine"))]
impl Engine {
    pub fn open(
        core: Box<dyn ByteSource>,
        exe: Box<dyn ByteSource>,
        progress: Progress<'_>,
    ) -> Result<Engine, String> {
        let core: std::rc::Rc<dyn ByteSource> = std::rc::Rc::from(core);
        let exe: std::rc::Rc<dyn ByteSource> = std::rc::Rc::from(exe);
        heapwise_core::analysis::Analysis::open(core, exe, progress)
            .map(|inner| Engine { inner })
            .map_err(|e| match e {
                heapwise_core::Error::Cancelled => "cancelled".to_string(),
                e => e.to_string(),
            })
    }
    /// A `runtime/debug.WriteHeapDump` file, with the executable when given.
    pub fn open_heapdump(
        dump: Box<dyn ByteSource>,
        exe: Option<Box<dyn ByteSource>>,
        progress: Progress<'_>,
    ) -> Result<Engine, String> {
        let dump: std::rc::Rc<dyn ByteSource> = std::rc::Rc::from(dump);
        let exe: Option<std::rc::Rc<dyn ByteSource>> = exe.map(std::rc::Rc::from);
        heapwise_core::analysis::Analysis::open_heapdump(dump, exe, progress)
            .map(|inner| Engine { inner })
            .map_err(|e| match e {
                heapwise_core::Error::Cancelled => "cancelled".to_string(),
                e => e.to_string(),
            })
    }
    pub fn overview(&self) -> Overview {
        self.inner.overview()
    }
    pub fn histogram(&self) -> Vec<HistogramRow> {
        self.inner.histogram()
    }
    pub fn histogram_cost(&self) -> Vec<HistogramRow> {
        self.inner.histogram_cost()
    }
    /// Builds the dominator tree on first use.
    pub fn histogram_retained(&self) -> Vec<HistogramRow> {
        self.inner.histogram_retained()
    }
    /// The top `width` nodes, how many top nodes there are, and the live heap total.
    pub fn dominator_tree(&self, width: usize) -> (Vec<DominatorNode>, u64, u64) {
        let d = self.inner.dom();
        let total = d.children_of(None).count() as u64;
        (self.inner.dominator_tree(1, width).into_iter().map(|r| r.node).collect(), total, d.total_live)
    }
    pub fn dominator_children(&self, addr: u64, width: usize) -> Result<Vec<DominatorNode>, String> {
        self.inner.dominator_children(addr, width).map_err(|e| e.to_string())
    }
    pub fn suspects(&self, threshold: f64) -> Vec<Suspect> {
        self.inner.suspects(threshold)
    }
    pub fn whatif(&self, addr: u64, field: Option<&str>) -> Result<WhatIf, String> {
        self.inner.whatif(addr, field).map_err(|e| e.to_string())
    }
    /// The owners graph (referrers, four levels up) as SVG, as `heapwise graph` draws it.
    pub fn owners_svg(&self, addr: u64) -> Result<String, String> {
        self.inner.owners_svg(addr, Some(4)).map_err(|e| e.to_string())
    }
    pub fn objects(&self, type_regex: Option<&str>) -> Result<Vec<ObjectRow>, String> {
        self.inner.objects(type_regex).map_err(|e| e.to_string())
    }
    /// `Ok(None)`: no object there; `Err`: the engine failed to read it.
    pub fn object(&self, addr: u64) -> Result<Option<ObjectDetail>, String> {
        not_found_is_none(self.inner.object(addr))
    }
    pub fn path(&self, addr: u64) -> Result<Option<RootPath>, String> {
        not_found_is_none(self.inner.path(addr))
    }
    pub fn goroutines(&self) -> Vec<GoroutineInfo> {
        self.inner.goroutines()
    }
    pub fn breakdown(&self) -> Breakdown {
        self.inner.breakdown()
    }
}

#[cfg(not(feature = "fake-engine"))]
fn not_found_is_none<T>(r: Result<T, heapwise_core::Error>) -> Result<Option<T>, String> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(heapwise_core::Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(feature = "fake-engine")]
pub use fake::Engine;

/// Made-up data shaped like a real analysis, for developing the page before the engine lands.
#[cfg(feature = "fake-engine")]
mod fake {
    use super::*;
    use heapwise_core::report::*;

    pub struct Engine {
        arch: String,
        objects: Vec<(u64, &'static str, u64)>,
    }

    impl Engine {
        pub fn open(
            core: Box<dyn ByteSource>,
            exe: Box<dyn ByteSource>,
            progress: Progress<'_>,
        ) -> Result<Engine, String> {
            let mut head = [0u8; 20];
            core.read_at(0, &mut head).map_err(|e| e.to_string())?;
            exe.read_at(0, &mut head[..4]).map_err(|e| e.to_string())?;
            for (i, phase) in ["reading the core", "loading DWARF", "walking the heap"].iter().enumerate() {
                if !progress(phase, i as f64 / 3.0) {
                    return Err("cancelled".into());
                }
            }
            let mut objects = vec![];
            for i in 0..5u64 {
                objects.push((0xc000010000 + i * 0x40, "main.Node", 48));
            }
            objects.push((0xc000020000, "[]*main.Node", 64));
            objects.push((0xc000030000, "string", 16));
            Ok(Engine { arch: "amd64".into(), objects })
        }
        pub fn open_heapdump(
            dump: Box<dyn ByteSource>,
            exe: Option<Box<dyn ByteSource>>,
            progress: Progress<'_>,
        ) -> Result<Engine, String> {
            let exe: Box<dyn ByteSource> = exe.unwrap_or_else(|| Box::new(vec![0u8; 4]));
            Engine::open(dump, exe, progress)
        }
        pub fn overview(&self) -> Overview {
            Overview {
                go_version: "go1.26.6 (fake engine)".into(),
                arch: self.arch.clone(),
                threads: 4,
                goroutines: 3,
                live_objects: self.objects.len() as u64,
                live_bytes: self.objects.iter().map(|o| o.2).sum(),
                garbage_objects: 2,
                garbage_bytes: 64,
                warnings: vec!["fake engine: these numbers are made up".into()],
                named_bytes: 0,
                inferred_bytes: 0,
                unnamed: Vec::new(),
            }
        }
        pub fn histogram(&self) -> Vec<HistogramRow> {
            let mut rows: Vec<HistogramRow> = vec![];
            for (_, t, s) in &self.objects {
                match rows.iter_mut().find(|r| r.type_name == *t) {
                    Some(r) => {
                        r.count += 1;
                        r.bytes += s
                    }
                    None => rows.push(HistogramRow { type_name: t.to_string(), count: 1, bytes: *s, retained: None, rounding_waste: None, padding: None }),
                }
            }
            rows
        }
        pub fn objects(&self, type_regex: Option<&str>) -> Result<Vec<ObjectRow>, String> {
            let want = type_regex.map(|r| r.trim_start_matches('^').trim_end_matches('$').replace('\\', ""));
            Ok(self
                .objects
                .iter()
                .filter(|o| want.as_deref().map_or(true, |w| w == o.1))
                .map(|o| ObjectRow { addr: o.0, type_name: o.1.into(), size: o.2 })
                .collect())
        }
        pub fn object(&self, addr: u64) -> Result<Option<ObjectDetail>, String> {
            Ok(self.object_(addr))
        }
        fn object_(&self, addr: u64) -> Option<ObjectDetail> {
            let i = self.objects.iter().position(|o| o.0 == addr)?;
            let (a, t, s) = self.objects[i];
            let next = self.objects.get(i + 1).filter(|o| o.1 == t).map(|o| o.0);
            let mut bytes = vec![0u8; s as usize];
            if let Some(n) = next {
                bytes[..8].copy_from_slice(&n.to_le_bytes());
            }
            bytes[8] = i as u8;
            Some(ObjectDetail {
                addr: a,
                type_name: t.into(),
                size: s,
                size_class: 5,
                live: true,
                fields: vec![
                    FieldValue {
                        name: "next".into(),
                        type_name: "*main.Node".into(),
                        offset: 0,
                        size: 8,
                        value: next.map_or("nil".into(), |n| format!("{n:#x}")),
                        points_to: next,
                        children: vec![],
                    },
                    FieldValue {
                        name: "val".into(),
                        type_name: "int".into(),
                        offset: 8,
                        size: 8,
                        value: i.to_string(),
                        points_to: None,
                        children: vec![],
                    },
                ],
                bytes,
                pointer_offsets: vec![0],
                outbound: next
                    .map(|n| PointerRef { addr: n, type_name: t.into(), field: "next".into(), offset: 0, target_offset: 0 })
                    .into_iter()
                    .collect(),
                inbound: if i > 0 {
                    vec![PointerRef { addr: self.objects[i - 1].0, type_name: t.into(), field: "next".into(), offset: 0, target_offset: 0 }]
                } else {
                    vec![]
                },
                root_refs: if i == 0 { vec![RootInfo { kind: "global".into(), name: "main.head".into() }] } else { vec![] },
                retained: s * (self.objects.iter().filter(|o| o.1 == t).count() - i) as u64,
                requested: s,
                rounding_waste: 0,
                padding: 0,
                dominators: (0..i).rev().map(|j| DominatorRef { addr: self.objects[j].0, type_name: t.into(), retained: s * (5 - j) as u64 }).collect(),
            })
        }
        pub fn histogram_cost(&self) -> Vec<HistogramRow> {
            let mut rows = self.histogram();
            for r in &mut rows {
                r.rounding_waste = Some(0);
                r.padding = Some(r.count * 4);
            }
            rows
        }
        pub fn histogram_retained(&self) -> Vec<HistogramRow> {
            let mut rows = self.histogram();
            for r in &mut rows {
                r.retained = Some(r.bytes);
            }
            rows
        }
        fn node(&self, i: usize) -> DominatorNode {
            let (addr, t, size) = self.objects[i];
            let chained = t == "main.Node" && i + 1 < 5;
            DominatorNode { addr, type_name: t.into(), size, retained: if t == "main.Node" { size * (5 - i) as u64 } else { size }, child_count: chained as u64 }
        }
        pub fn dominator_tree(&self, _width: usize) -> (Vec<DominatorNode>, u64, u64) {
            (vec![self.node(0), self.node(5), self.node(6)], 3, self.objects.iter().map(|o| o.2).sum())
        }
        pub fn dominator_children(&self, addr: u64, _width: usize) -> Result<Vec<DominatorNode>, String> {
            let i = self.objects.iter().position(|o| o.0 == addr).ok_or("no such object")?;
            Ok(if self.node(i).child_count > 0 { vec![self.node(i + 1)] } else { vec![] })
        }
        pub fn suspects(&self, _threshold: f64) -> Vec<Suspect> {
            let head = self.node(0);
            vec![Suspect {
                kind: "object".into(),
                name: head.type_name.clone(),
                addr: head.addr,
                retained: head.retained,
                percent: 100.0 * head.retained as f64 / self.objects.iter().map(|o| o.2).sum::<u64>() as f64,
                instances: 1,
                accumulation: Some(DominatorRef { addr: head.addr, type_name: head.type_name, retained: head.retained }),
                accumulation_children: 1,
                path: self.path(head.addr).ok().flatten(),
            }]
        }
        pub fn owners_svg(&self, addr: u64) -> Result<String, String> {
            Ok(format!(r#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><text x="4" y="20">{addr:#x}</text></svg>"#))
        }
        pub fn whatif(&self, addr: u64, field: Option<&str>) -> Result<WhatIf, String> {
            let i = self.objects.iter().position(|o| o.0 == addr).ok_or("no such object")?;
            let start = if field.is_some() { i + 1 } else { i };
            let freed: Vec<_> = self.objects[start.min(5)..5.max(start.min(5))].to_vec();
            let bytes = freed.iter().map(|o| o.2).sum();
            Ok(WhatIf {
                addr,
                field: field.unwrap_or("").into(),
                freed_objects: freed.len() as u64,
                freed_bytes: bytes,
                freed_types: if freed.is_empty() { vec![] } else {
                    vec![HistogramRow { type_name: "main.Node".into(), count: freed.len() as u64, bytes, retained: None, rounding_waste: None, padding: None }]
                },
            })
        }
        pub fn path(&self, addr: u64) -> Result<Option<RootPath>, String> {
            let Some(i) = self.objects.iter().position(|o| o.0 == addr) else { return Ok(None) };
            Ok(Some(RootPath {
                root: RootInfo { kind: "global".into(), name: "main.head".into() },
                hops: (0..=i)
                    .map(|j| PathHop {
                        addr: self.objects[j].0,
                        type_name: self.objects[j].1.into(),
                        field: if j == 0 { "main.head".into() } else { "next".into() },
                    })
                    .collect(),
            }))
        }
        pub fn goroutines(&self) -> Vec<GoroutineInfo> {
            vec![GoroutineInfo {
                id: 1,
                status: "waiting".into(),
                wait_reason: "chan receive".into(),
                stack_bytes: 8192,
                frames: vec![FrameInfo {
                    function: "main.main".into(),
                    file: "/src/main.go".into(),
                    line: 42,
                    pc: 0x4a1234,
                    sp: 0xc000050f00,
                    locals: vec![LocalPointer { name: "list".into(), addr: self.objects[0].0, type_name: "*main.Node".into() }],
                }],
            }]
        }
        pub fn breakdown(&self) -> Breakdown {
            Breakdown {
                entries: vec![
                    BreakdownEntry { name: "heap/live".into(), bytes: 400 },
                    BreakdownEntry { name: "heap/garbage".into(), bytes: 64 },
                    BreakdownEntry { name: "heap/free".into(), bytes: 8192 },
                    BreakdownEntry { name: "stacks".into(), bytes: 32768 },
                ],
            }
        }
    }
}
