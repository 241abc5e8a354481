//! `#/goroutines`: goroutines grouped by status, wait reason and stack, with the bytes each
//! group keeps alive and a "leaked" badge (Go 1.27's rule); a group opens to its goroutines,
//! frames, what it blocks on and the objects it retains. `#/goroutines/each`: every goroutine
//! with its frames and the heap pointers its frames hold.
//!
//! Both lists render one page of rows ([`crate::groups`]): a core can hold 100,000
//! goroutines.

use std::collections::BTreeMap;
use std::rc::Rc;

use heapwise_core::report::GoroutineGroupInfo;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::app::cache::use_answer;
use crate::app::route::Route;
use crate::app::widgets::{addr_link, fmt_bytes, fmt_ms, loading};
use crate::groups::{
    fmt_wait, headline, order, pages, window, GroupOrder, GroupSort, GOROUTINES_PER_PAGE, GROUPS_PER_PAGE, IDS_PER_PAGE,
};
use crate::protocol::{Answer, Query};

/// How the groups are listed, which page is shown and which groups are open (by their first
/// goroutine id, with the page of ids each shows); kept by the router while the analysis
/// stays loaded, so it survives a visit to an object.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct GroupsSettings {
    pub order: GroupOrder,
    pub page: usize,
    pub open: BTreeMap<u64, usize>,
}

#[derive(Properties, PartialEq)]
pub struct GroupsProps {
    pub settings: UseStateHandle<GroupsSettings>,
}

/// The two goroutine pages, as tabs.
fn tabs(groups: bool) -> Html {
    let tab = |route: Route, label: &str, id: &str, active: bool| {
        html! { <a id={id.to_string()} class={classes!("tab", active.then_some("active"))} href={route.href()}>{label.to_string()}</a> }
    };
    html! {
        <p class="tabs">
            { tab(Route::Goroutines, "Groups", "tab-groups", groups) }
            { tab(Route::GoroutineList, "Each goroutine", "tab-each", !groups) }
        </p>
    }
}

/// Previous / next buttons over `n` pages; `id`: the element id.
fn pager(id: &str, page: usize, n: usize, label: String, go: Callback<usize>) -> Html {
    if n <= 1 {
        return html! {};
    }
    let prev = go.reform(move |_| page.saturating_sub(1));
    let next = go.reform(move |_| (page + 1).min(n - 1));
    html! {
        <div class="pager" id={id.to_string()} data-page={page.to_string()} data-pages={n.to_string()}>
            <button class="small prev" disabled={page == 0} onclick={prev}>{"◀ previous"}</button>
            <span class="where">{label}</span>
            <button class="small next" disabled={page + 1 >= n} onclick={next}>{"next ▶"}</button>
        </div>
    }
}

#[function_component]
pub fn GroupsView(props: &GroupsProps) -> Html {
    let answer = use_answer(Query::GoroutineGroups);
    let settings = props.settings.clone();
    let groups_rc: Option<Rc<Answer>> = match &answer {
        crate::app::cache::Entry::Done(a) => Some(a.clone()),
        _ => None,
    };
    // The order is recomputed only when the groups or the order change, not when a group
    // opens or the page turns.
    let sorted = use_memo((groups_rc.as_ref().map(|a| Rc::as_ptr(a) as usize), settings.order), {
        let groups_rc = groups_rc.clone();
        move |(_, o)| match groups_rc.as_deref() {
            Some(Answer::GoroutineGroups { groups, .. }) => order(groups, *o),
            _ => Vec::new(),
        }
    });
    let Some(Answer::GoroutineGroups { groups, ms }) = groups_rc.as_deref() else {
        return html! { <section id="goroutine-groups">{tabs(true)}{loading("the goroutine groups (retained bytes per goroutine: dominator tree)")}</section> };
    };
    let s = &*settings;
    let total: u64 = groups.iter().map(|g| g.count).sum();
    let leaked: Vec<&GoroutineGroupInfo> = groups.iter().filter(|g| g.leaked).collect();
    let leaked_count: u64 = leaked.iter().map(|g| g.count).sum();
    let leaked_bytes: u64 = leaked.iter().map(|g| g.retained).sum();

    let n_pages = pages(sorted.len(), GROUPS_PER_PAGE);
    let rows = window(sorted.len(), s.page, GROUPS_PER_PAGE);
    let page = rows.start / GROUPS_PER_PAGE;
    let go = {
        let settings = settings.clone();
        Callback::from(move |p: usize| settings.set(GroupsSettings { page: p, ..(*settings).clone() }))
    };
    let sort_button = |key: GroupSort, label: &str, data_key: &str, title: &str| {
        let arrow = match (s.order.sort == key, s.order.descending) {
            (false, _) => "",
            (true, true) => " ▼",
            (true, false) => " ▲",
        };
        let settings = settings.clone();
        let onclick = Callback::from(move |_| {
            settings.set(GroupsSettings { order: settings.order.sorted_by(key), page: 0, ..(*settings).clone() })
        });
        html! { <th class="num" title={title.to_string()}><button class="sort" data-key={data_key.to_string()} {onclick}>{format!("{label}{arrow}")}</button></th> }
    };
    let on_leaked_only = {
        let settings = settings.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let order = GroupOrder { leaked_only: input.checked(), ..settings.order };
            settings.set(GroupsSettings { order, page: 0, ..(*settings).clone() })
        })
    };
    let toggle = {
        let settings = settings.clone();
        Callback::from(move |first: u64| {
            let mut now = (*settings).clone();
            if now.open.remove(&first).is_none() {
                now.open.insert(first, 0);
            }
            settings.set(now);
        })
    };
    let ids_page = {
        let settings = settings.clone();
        Callback::from(move |(first, p): (u64, usize)| {
            let mut now = (*settings).clone();
            now.open.insert(first, p);
            settings.set(now);
        })
    };
    let label = format!("groups {}–{} of {}", rows.start + 1, rows.end, sorted.len());
    html! {
        <section id="goroutine-groups" data-groups={groups.len().to_string()} data-leaked-groups={leaked.len().to_string()}>
            {tabs(true)}
            <h2>{format!("{total} goroutines in {} groups", groups.len())}</h2>
            <p class="summary" id="groups-summary" data-leaked={leaked_count.to_string()} data-bytes={leaked_bytes.to_string()}>
                if leaked.is_empty() {
                    {"No leaked goroutine: every blocked goroutine waits on something a goroutine able to run can reach (Go 1.27's rule)."}
                } else {
                    <span class="badge leaked">{"leaked"}</span>
                    {format!(" {leaked_count} goroutines in {} groups retain {} ({leaked_bytes} bytes): they block on a channel, select, mutex, cond or wait group that no goroutine able to run can reach (Go 1.27's rule).",
                        leaked.len(), fmt_bytes(leaked_bytes))}
                }
            </p>
            <p class="legend">{format!(
                "Goroutines with the same status, wait reason and stack form a group. Retained: what would be freed if every goroutine of the group went away (its stacks and g records removed from the roots; the worker answered in {}).",
                fmt_ms(*ms))}</p>
            <div class="filter">
                <label><input id="leaked-only" type="checkbox" checked={s.order.leaked_only} onchange={on_leaked_only} />{" leaked groups only"}</label>
            </div>
            { pager("groups-pager", page, n_pages, label.clone(), go.clone()) }
            <table class="grid" id="groups">
                <thead><tr>
                    <th></th>
                    {sort_button(GroupSort::Count, "Goroutines", "count", "goroutines in the group")}
                    <th>{"Status"}</th>
                    <th>{"Where"}</th>
                    <th>{"Created by"}</th>
                    {sort_button(GroupSort::Retained, "Retained", "retained", "bytes freed if every goroutine of the group went away")}
                </tr></thead>
                <tbody>
                { for sorted[rows.clone()].iter().map(|&i| {
                    let g = &groups[i as usize];
                    let first = g.goroutines.first().copied().unwrap_or_default();
                    let open = s.open.get(&first).copied();
                    html! {
                        <>
                        { group_row(g, first, open.is_some(), &toggle) }
                        if let Some(p) = open { { group_detail(g, first, p, &ids_page) } }
                        </>
                    }
                }) }
                </tbody>
            </table>
            if sorted.is_empty() { <p class="empty">{"No group to show."}</p> }
            { pager("groups-pager-bottom", page, n_pages, label, go) }
        </section>
    }
}

fn group_row(g: &GoroutineGroupInfo, first: u64, open: bool, toggle: &Callback<u64>) -> Html {
    let (mark, title) = if open {
        ("▾", "close the group")
    } else {
        ("▸", "show its goroutines, frames, what it blocks on and its objects")
    };
    let onclick = toggle.reform(move |_| first);
    let status = if g.wait_reason.is_empty() { g.status.clone() } else { format!("{}, {}", g.status, g.wait_reason) };
    let wait = g.waiting_ns.map(|ns| format!(", {}", fmt_wait(ns))).unwrap_or_default();
    html! {
        <tr class={classes!("group", g.leaked.then_some("leaked"))} data-first={first.to_string()}
            data-count={g.count.to_string()} data-leaked={g.leaked.to_string()}>
            <td><button class="toggle" title={title} {onclick}>{mark}</button></td>
            <td class="count num">{g.count}</td>
            <td class="gstatus">{format!("{status}{wait}")}
                if g.leaked { {" "}<span class="badge leaked" title="blocked forever: nothing able to run can reach what it waits on">{"leaked"}</span> }
            </td>
            <td class="where">{ match headline(&g.frames) {
                Some(f) => html! { <><code class="func">{f.function.clone()}</code><span class="pos">{format!(" {}:{}", short_file(&f.file), f.line)}</span></> },
                None => html! { <span class="empty">{"no frames"}</span> },
            } }</td>
            <td class="created">{ match &g.created_by {
                Some(c) => html! { <code class="func" title={format!("{}:{}", c.file, c.line)}>{c.function.clone()}</code> },
                None => html! {},
            } }</td>
            <td class="retained num" data-bytes={g.retained.to_string()} title={format!("{} bytes", g.retained)}>{fmt_bytes(g.retained)}</td>
        </tr>
    }
}

/// The last two elements of a path: `progs/main.go`.
fn short_file(f: &str) -> &str {
    let mut cut = f.len();
    for _ in 0..2 {
        match f[..cut].rfind('/') {
            Some(i) => cut = i,
            None => return f,
        }
    }
    &f[cut + 1..]
}

fn group_detail(g: &GoroutineGroupInfo, first: u64, ids_page: usize, go: &Callback<(u64, usize)>) -> Html {
    let n = g.goroutines.len();
    let ids = window(n, ids_page, IDS_PER_PAGE);
    let n_pages = pages(n, IDS_PER_PAGE);
    let page = ids.start / IDS_PER_PAGE;
    let go = go.reform(move |p| (first, p));
    html! {
        <tr class="group-detail" data-first={first.to_string()}><td colspan="6">
            <div class="group-parts">
            <div class="part">
                <h4>{format!("Goroutines ({n})")}</h4>
                { pager("", page, n_pages, format!("{}–{} of {n}", ids.start + 1, ids.end), go) }
                <table class="grid compact members">
                    <thead><tr><th class="num">{"Id"}</th><th class="num">{"Retained alone"}</th></tr></thead>
                    <tbody>
                    { for ids.clone().map(|k| {
                        let r = g.goroutine_retained.get(k).copied().unwrap_or(0);
                        html! { <tr class="member"><td class="num id">{g.goroutines[k]}</td>
                            <td class="num" data-bytes={r.to_string()} title={format!("{r} bytes")}>{fmt_bytes(r)}</td></tr> }
                    }) }
                    </tbody>
                </table>
            </div>
            <div class="part">
                <h4>{"Frames (innermost first)"}</h4>
                <ol class="frames">
                { for g.frames.iter().map(|f| html! {
                    <li><code class="func">{f.function.clone()}</code><span class="pos">{format!(" {}:{}", f.file, f.line)}</span></li>
                }) }
                </ol>
                if !g.labels.is_empty() {
                    <p class="labels">{"labels "}{ for g.labels.iter().map(|(k, v)| html! { <code class="label">{format!("{k}={v} ")}</code> }) }</p>
                }
                if let Some(c) = &g.created_by {
                    <p class="created-by">{"created by "}<code class="func">{c.function.clone()}</code>
                        <span class="pos">{format!(" {}:{}", c.file, c.line)}</span></p>
                }
            </div>
            if !g.blocked_on.is_empty() {
                <div class="part">
                    <h4>{"Blocked on"}</h4>
                    <ul class="blocked-on">
                    { for g.blocked_on.iter().map(|b| html! {
                        <li><span class="kind">{b.kind.clone()}</span>{" "}{addr_link(b.addr)}{" "}<span class="type">{b.type_name.clone()}</span>
                            <div class="legend path">{ match &b.path {
                                Some(p) => format!("reached from {p}"),
                                None => "no root reaches it".to_string(),
                            } }</div></li>
                    }) }
                    </ul>
                </div>
            }
            <div class="part">
                <h4>{"Objects it retains (largest first)"}</h4>
                if g.top_objects.is_empty() {
                    <p class="empty">{"None: nothing is freed with these goroutines alone."}</p>
                } else {
                    <table class="grid compact top-objects">
                        <thead><tr><th>{"Object"}</th><th>{"Type"}</th><th class="num">{"Size"}</th></tr></thead>
                        <tbody>
                        { for g.top_objects.iter().map(|o| html! {
                            <tr class="top-object"><td>{addr_link(o.addr)}</td><td class="type">{o.type_name.clone()}</td><td class="num">{o.size}</td></tr>
                        }) }
                        </tbody>
                    </table>
                }
            </div>
            </div>
        </td></tr>
    }
}

#[derive(Properties, PartialEq)]
pub struct ListProps {
    pub page: UseStateHandle<usize>,
}

#[function_component]
pub fn GoroutineListView(props: &ListProps) -> Html {
    let goroutines = use_answer(Query::Goroutines);
    let Some(Answer::Goroutines(gs)) = goroutines.answer() else {
        return html! { <section id="goroutines">{tabs(false)}{loading("the goroutines")}</section> };
    };
    let n_pages = pages(gs.len(), GOROUTINES_PER_PAGE);
    let rows = window(gs.len(), *props.page, GOROUTINES_PER_PAGE);
    let page = rows.start / GOROUTINES_PER_PAGE;
    let go = {
        let handle = props.page.clone();
        Callback::from(move |p: usize| handle.set(p))
    };
    let label = format!("goroutines {}–{} of {}", rows.start + 1, rows.end, gs.len());
    html! {
        <section id="goroutines">
            {tabs(false)}
            <h2>{format!("{} goroutines", gs.len())}</h2>
            { pager("goroutines-pager", page, n_pages, label, go) }
            { for gs[rows].iter().map(|g| html! {
                <details class="goroutine" open={gs.len() <= 20}>
                    <summary>
                        <strong>{format!("goroutine {}", g.id)}</strong>{" "}
                        <span class="status">{g.status.clone()}</span>
                        if !g.wait_reason.is_empty() { <span class="wait">{format!(" ({})", g.wait_reason)}</span> }
                        {format!(" — {} frames", g.frames.len())}
                    </summary>
                    <ol class="frames">
                    { for g.frames.iter().map(|f| html! {
                        <li>
                            <code class="func">{f.function.clone()}</code>
                            <span class="pos">{format!(" {}:{}", f.file, f.line)}</span>
                            if !f.locals.is_empty() {
                                <ul class="locals">
                                { for f.locals.iter().map(|l| html! {
                                    <li><code>{l.name.clone()}</code>{" → "}{addr_link(l.addr)}
                                        <span class="type">{format!(" {}", l.type_name)}</span></li>
                                }) }
                                </ul>
                            }
                        </li>
                    }) }
                    </ol>
                </details>
            }) }
        </section>
    }
}
