//! `#/dominators`: the dominator tree, largest retained first; a node opens to the objects
//! it dominates, loaded on demand.

use std::collections::BTreeSet;

use heapwise_core::report::DominatorNode;
use yew::prelude::*;

use crate::app::cache::{use_answer, use_session, Session};
use crate::app::widgets::{addr_link, fmt_bytes, loading};
use crate::protocol::{Answer, Query};

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The open nodes; kept by the router, so the tree stays open across visits to objects.
    pub open: UseStateHandle<BTreeSet<u64>>,
}

#[function_component]
pub fn DominatorsView(props: &Props) -> Html {
    let session = use_session();
    let top = use_answer(Query::DominatorTree);
    let Some(Answer::DominatorTree { nodes, total, total_live }) = top.answer() else {
        return loading("the dominator tree (computed on first use)");
    };
    let toggle = {
        let (open, ask) = (props.open.clone(), session.ask.clone());
        Callback::from(move |addr: u64| {
            let mut now = (*open).clone();
            if !now.remove(&addr) {
                now.insert(addr);
                ask.emit(Query::DominatorChildren { addr });
            }
            open.set(now);
        })
    };
    let shown = if (*total as usize) > nodes.len() {
        format!(" (the {} retaining the most are shown)", nodes.len())
    } else {
        String::new()
    };
    html! {
        <section id="dominators">
            <h2>{"Dominator tree"}</h2>
            <p class="summary">{format!(
                "{total} objects sit directly under the roots{shown}; live heap {}. An object dominates another when every path from a root to the other goes through it; its retained size is what would be freed if it became unreachable.",
                fmt_bytes(*total_live))}</p>
            <table class="grid" id="domtree">
                <thead><tr><th>{"Object"}</th><th>{"Type"}</th><th class="num">{"Size"}</th>
                    <th class="num">{"Retained"}</th><th>{"Share of the live heap"}</th><th class="num">{"Dominates"}</th></tr></thead>
                <tbody>{ for rows(nodes, &props.open, &session, *total_live, &toggle) }</tbody>
            </table>
        </section>
    }
}

/// One line of the table, in display order.
enum Line<'a> {
    Node(&'a DominatorNode, usize),
    /// An open node whose children have not arrived (or could not be loaded).
    Loading(usize),
    /// Children of an open node beyond those the worker sent.
    More(u64, usize),
}

/// The table rows: the top nodes and, under each open node, its children (depth first,
/// with an explicit stack: the depth is as deep as the user opened).
fn rows(top: &[DominatorNode], open: &BTreeSet<u64>, session: &Session, live: u64, toggle: &Callback<u64>) -> Vec<Html> {
    let mut out = Vec::new();
    let mut stack: Vec<Line> = top.iter().rev().map(|n| Line::Node(n, 0)).collect();
    while let Some(line) = stack.pop() {
        let (n, depth) = match line {
            Line::Node(n, depth) => (n, depth),
            Line::Loading(depth) => {
                out.push(html! { <tr class="dom-loading"><td colspan="6">{indent(depth)}<span class="loading">{"Loading…"}</span></td></tr> });
                continue;
            }
            Line::More(more, depth) => {
                out.push(html! { <tr class="dom-more"><td colspan="6">{indent(depth)}
                    <span class="more">{format!("… {more} more, each retaining less")}</span></td></tr> });
                continue;
            }
        };
        let is_open = open.contains(&n.addr);
        out.push(node_row(n, depth, is_open, live, toggle));
        if !is_open {
            continue;
        }
        // Pushed in reverse: the children come out first, the "more" line after them.
        match session.cache.done(&Query::DominatorChildren { addr: n.addr }) {
            Some(Answer::DominatorChildren(kids)) => {
                if n.child_count > kids.len() as u64 {
                    stack.push(Line::More(n.child_count - kids.len() as u64, depth + 1));
                }
                stack.extend(kids.iter().rev().map(|k| Line::Node(k, depth + 1)));
            }
            _ => stack.push(Line::Loading(depth + 1)),
        }
    }
    out
}

fn indent(depth: usize) -> Html {
    html! { <>{ for (0..depth).map(|_| html! { <span class="indent"></span> }) }</> }
}

fn node_row(n: &DominatorNode, depth: usize, open: bool, live: u64, toggle: &Callback<u64>) -> Html {
    let a = n.addr;
    let toggle = if n.child_count == 0 {
        html! { <span class="toggle leaf"></span> }
    } else {
        let label = if open { "▾" } else { "▸" };
        let title = if open { "collapse" } else { "show the objects it dominates" };
        let onclick = toggle.reform(move |_| a);
        html! { <button class="toggle" aria-expanded={open.to_string()} {title} {onclick}>{label}</button> }
    };
    let share = n.retained as f64 / live.max(1) as f64;
    html! {
        <tr class={classes!("dom-node", open.then_some("open"))} data-addr={format!("{a:#x}")} data-depth={depth.to_string()}>
            <td class="tree">{indent(depth)}{toggle}{addr_link(a)}</td>
            <td class="type">{n.type_name.clone()}</td>
            <td class="num" title={format!("{} bytes", n.size)}>{fmt_bytes(n.size)}</td>
            <td class="num retained" data-bytes={n.retained.to_string()} title={format!("{} bytes", n.retained)}>{fmt_bytes(n.retained)}</td>
            <td class="share"><svg width="120" height="10" role="img" class="sharebar">
                <rect x="0" y="1" width="120" height="8" class="bg"></rect>
                <rect x="0" y="1" width={format!("{:.1}", (share * 120.0).max(0.5))} height="8" class="fg"></rect>
            </svg>{format!(" {:.1}%", share * 100.0)}</td>
            <td class="num">{n.child_count}</td>
        </tr>
    }
}
