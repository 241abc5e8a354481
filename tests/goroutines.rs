//! Goroutine groups and leaks (`heapwise goroutines --group`, `heapwise leaks`) on the cores
//! of testdata/progs/goleak, against what the program knows of its own goroutines: the ids of
//! each group, whether Go 1.27's goroutine leak rule calls it leaked, its wait reason and
//! creator, and the heap objects only it holds. On Go 1.27 the leaked set must also equal the
//! runtime's own goroutineleak profile, which the program wrote once it had been cored
//! (`aftercore.txt`, scripts/make-cores.sh).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

mod common;
use common::{inputs, json, prog_dir};

fn ids(v: &Value) -> BTreeSet<u64> {
    v.as_array().unwrap().iter().map(|i| i.as_u64().unwrap()).collect()
}

/// Goroutine ids the runtime marked leaked in a `goroutineleak` profile written with
/// `debug=2` (`goroutine 20 [chan receive (leaked)]:` headers).
fn leaked_in_profile(text: &str) -> BTreeSet<u64> {
    text.lines()
        .filter_map(|l| l.strip_prefix("goroutine "))
        .filter(|l| l.contains("(leaked)]"))
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect()
}

fn check(version: &str) {
    let dir = prog_dir(version, "goleak");
    let (exe, core, truth_path, after) = (dir.join("exe"), dir.join("core.gcore"), dir.join("truth.json"), dir.join("aftercore.txt"));
    if !inputs(&[&exe, &core, &truth_path, &after]) {
        return;
    }
    let truth: Value = serde_json::from_str(&std::fs::read_to_string(&truth_path).unwrap()).unwrap();
    let args = ["goroutines", core.to_str().unwrap(), "--exe", exe.to_str().unwrap(), "--group"];
    let groups = json(&args);
    let groups = groups.as_array().unwrap();
    let leaks = json(&["leaks", core.to_str().unwrap(), "--exe", exe.to_str().unwrap()]);
    let mut errors = Vec::new();
    let label = format!("{version} goleak");

    // Every group of the truth is one group of heapwise's, exactly.
    for t in truth["goroutine_groups"].as_array().unwrap() {
        let name = t["label"].as_str().unwrap();
        let want = ids(&t["goids"]);
        let Some(g) = groups.iter().find(|g| ids(&g["goroutines"]).intersection(&want).next().is_some()) else {
            errors.push(format!("{name}: no group holds goroutines {want:?}"));
            continue;
        };
        let got = ids(&g["goroutines"]);
        if got != want {
            errors.push(format!("{name}: group has goroutines {got:?}, truth {want:?}"));
        }
        if g["leaked"] != t["leaked"] {
            errors.push(format!("{name}: leaked {}, truth {}", g["leaked"], t["leaked"]));
        }
        if g["wait_reason"] != t["wait_reason"] {
            errors.push(format!("{name}: wait reason {}, truth {}", g["wait_reason"], t["wait_reason"]));
        }
        if g["created_by"]["function"] != t["created_by"] {
            errors.push(format!("{name}: created by {}, truth {}", g["created_by"], t["created_by"]));
        }
        let labels: BTreeMap<String, String> = g["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_str().unwrap().to_string()))
            .collect();
        let want_labels: BTreeMap<String, String> = t["labels"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect())
            .unwrap_or_default();
        if labels != want_labels {
            errors.push(format!("{name}: labels {labels:?}, truth {want_labels:?}"));
        }
        let frames: Vec<&str> = g["frames"].as_array().unwrap().iter().map(|f| f["function"].as_str().unwrap()).collect();
        if !frames.contains(&t["function"].as_str().unwrap()) {
            errors.push(format!("{name}: frames {frames:?} lack {}", t["function"]));
        }
        // What only the group holds: the program's payload objects, exactly, and the
        // runtime's own records of its goroutines (g, sudog, hchan of channels only they
        // hold, pprof label maps); retained bytes are those objects' slots, to the byte.
        let objects = g["top_objects"].as_array().unwrap();
        assert!(objects.len() < 20, "{label} {name}: more objects than the JSON lists; the check needs them all");
        let mut held: BTreeMap<String, u64> = BTreeMap::new();
        let mut sum = 0;
        for o in objects {
            let ty = o["type"].as_str().unwrap();
            sum += o["size"].as_u64().unwrap();
            if ty.starts_with("main.") {
                *held.entry(ty.to_string()).or_default() += 1;
            } else if !(matches!(ty, "runtime.g" | "runtime.sudog" | "runtime.hchan" | "runtime/pprof.labelMap")
                // Go 1.22-1.23: the label map is a map[string]string (runtime/map.go).
                || ty == "runtime.hmap"
                || ty.contains("bucket<string,string>")
                || ty.contains("bucket[string]string"))
            {
                errors.push(format!("{name}: retains {ty} at {}, not the program's nor a goroutine's own record", o["addr"]));
            }
        }
        let want_held: BTreeMap<String, u64> =
            t["held"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).collect();
        if held != want_held {
            errors.push(format!("{name}: retains {held:?}, truth {want_held:?}"));
        }
        if g["retained"].as_u64().unwrap() != sum {
            errors.push(format!("{name}: retained {} bytes, its objects' slots sum to {sum}", g["retained"]));
        }
        // What the group blocks on, as the program built it: each goroutine of "cond" waits on
        // its own LonelyCond, those of "sharedcond" on the one SharedCond a global holds (on
        // Go 1.24-1.25 found through the Cond's notifyList, on 1.26+ in g.waiting).
        let blocked: Vec<(&str, Option<&str>)> =
            g["blocked_on"].as_array().unwrap().iter().map(|b| (b["type"].as_str().unwrap(), b["path"].as_str())).collect();
        let want_blocked = match name {
            "cond" => Some(("main.LonelyCond", want.len(), None)),
            "sharedcond" => Some(("main.SharedCond", 1, Some("global main.sharedCond"))),
            _ => None,
        };
        if let Some((ty, n, root)) = want_blocked {
            let ok = blocked.len() == n && blocked.iter().all(|&(t, p)| t == ty && root.is_none_or(|r| p.is_some_and(|p| p.starts_with(r))));
            if !ok {
                errors.push(format!("{name}: blocked on {blocked:?}, want {n} {ty}{}", root.map(|r| format!(" reached from {r}")).unwrap_or_default()));
            }
        }
        let per: u64 = g["goroutine_retained"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).sum();
        if per > sum {
            errors.push(format!("{name}: its goroutines retain {per} bytes alone, more than the group's {sum}"));
        }
    }

    // `leaks` lists exactly the truth's leaked goroutines, and only leaked groups.
    let want_leaked: BTreeSet<u64> =
        truth["goroutine_groups"].as_array().unwrap().iter().filter(|t| t["leaked"] == true).flat_map(|t| ids(&t["goids"])).collect();
    let got_leaked: BTreeSet<u64> = leaks.as_array().unwrap().iter().flat_map(|g| ids(&g["goroutines"])).collect();
    if got_leaked != want_leaked {
        errors.push(format!("leaks lists goroutines {got_leaked:?}, truth {want_leaked:?}"));
    }
    if leaks.as_array().unwrap().iter().any(|g| g["leaked"] != true) {
        errors.push("leaks lists a group that is not leaked".into());
    }
    // The runtime's own verdict, where the release has the profile (Go 1.27).
    let profile = std::fs::read_to_string(&after).unwrap();
    if version.starts_with("1.27.") {
        let runtime = leaked_in_profile(&profile);
        if runtime != got_leaked {
            errors.push(format!("Go's goroutineleak profile has {runtime:?} leaked, heapwise {got_leaked:?}"));
        }
    } else {
        assert!(profile.starts_with("no goroutineleak profile"), "{label}: aftercore.txt: {profile}");
    }
    assert!(errors.is_empty(), "{label}: {} mismatches:\n  {}", errors.len(), errors.join("\n  "));
}

#[test]
fn goleak_go1_22() {
    check("1.22.10");
}

#[test]
fn goleak_go1_23() {
    check("1.23.9");
}

#[test]
fn goleak_go1_24() {
    check("1.24.11");
}

#[test]
fn goleak_go1_25() {
    check("1.25.5");
}

#[test]
fn goleak_go1_26() {
    check("1.26.6");
}

#[test]
fn goleak_go1_27() {
    check("1.27.3");
}
