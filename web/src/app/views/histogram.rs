//! `#/histogram`: live objects per type, sortable and filterable, with retained size,
//! rounding waste and padding filled in once the worker has computed them.

use std::collections::HashMap;

use heapwise_core::report::HistogramRow;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::app::cache::{use_answer, use_answer_when};
use crate::app::route::Route;
use crate::app::widgets::{fmt_bytes, fmt_ms, loading, MAX_ROWS};
use crate::protocol::{Answer, Query};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SortKey {
    Type,
    Count,
    Bytes,
    Retained,
    Waste,
    Padding,
}

/// How the table is sorted and filtered; kept by the router while the analysis stays
/// loaded, so it survives a visit to a type's objects.
#[derive(Clone, PartialEq, Debug)]
pub struct HistogramSettings {
    pub sort: SortKey,
    pub descending: bool,
    pub filter: String,
    pub regex: bool,
}

impl Default for HistogramSettings {
    fn default() -> Self {
        HistogramSettings { sort: SortKey::Bytes, descending: true, filter: String::new(), regex: false }
    }
}

impl HistogramSettings {
    /// Sorted by `key`: the same key again flips the order; a new one starts descending
    /// (ascending for names).
    fn sorted_by(&self, key: SortKey) -> Self {
        let descending = if self.sort == key { !self.descending } else { key != SortKey::Type };
        HistogramSettings { sort: key, descending, ..self.clone() }
    }
}

/// A column computed after the histogram: per type name, and how long the worker took (ms).
type Computed<'a, T> = Option<(HashMap<&'a str, T>, f64)>;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub settings: UseStateHandle<HistogramSettings>,
}

#[function_component]
pub fn HistogramView(props: &Props) -> Html {
    let histogram = use_answer(Query::Histogram);
    // After the first histogram is on screen: retained sizes (dominator tree), then the cost
    // columns. The worker answers in order.
    let shown = histogram.answer().is_some();
    let retained = use_answer_when(shown, Query::HistogramRetained);
    let cost = use_answer_when(shown, Query::HistogramCost);
    let Some(Answer::Histogram(rows)) = histogram.answer() else { return loading("the histogram") };

    let retained: Computed<u64> = match retained.answer() {
        Some(Answer::HistogramRetained { rows, ms }) => {
            Some((rows.iter().filter_map(|r| Some((r.type_name.as_str(), r.retained?))).collect(), *ms))
        }
        _ => None,
    };
    // Per type: (rounding waste, padding).
    let cost: Computed<(u64, u64)> = match cost.answer() {
        Some(Answer::HistogramCost { rows, ms }) => Some((
            rows.iter()
                .map(|r| (r.type_name.as_str(), (r.rounding_waste.unwrap_or(0), r.padding.unwrap_or(0))))
                .collect(),
            *ms,
        )),
        _ => None,
    };
    let retained_of = |r: &HistogramRow| retained.as_ref().and_then(|(m, _)| m.get(r.type_name.as_str()).copied());
    let cost_of = |r: &HistogramRow| cost.as_ref().and_then(|(m, _)| m.get(r.type_name.as_str()).copied());

    let settings = &*props.settings;
    let mut filtered: Vec<&HistogramRow> = rows.iter().collect();
    let mut filter_error = None;
    if !settings.filter.is_empty() {
        if settings.regex {
            match js_regex(&settings.filter) {
                Ok(re) => filtered.retain(|r| re.test(&r.type_name)),
                Err(e) => filter_error = Some(e),
            }
        } else {
            let f = settings.filter.to_lowercase();
            filtered.retain(|r| r.type_name.to_lowercase().contains(&f));
        }
    }
    filtered.sort_by(|a, b| {
        let o = match settings.sort {
            SortKey::Type => a.type_name.cmp(&b.type_name),
            SortKey::Count => a.count.cmp(&b.count).then(a.bytes.cmp(&b.bytes)),
            SortKey::Bytes => a.bytes.cmp(&b.bytes).then(a.count.cmp(&b.count)),
            SortKey::Retained => retained_of(a).cmp(&retained_of(b)).then(a.bytes.cmp(&b.bytes)),
            SortKey::Waste => cost_of(a).map(|c| c.0).cmp(&cost_of(b).map(|c| c.0)).then(a.bytes.cmp(&b.bytes)),
            SortKey::Padding => cost_of(a).map(|c| c.1).cmp(&cost_of(b).map(|c| c.1)).then(a.bytes.cmp(&b.bytes)),
        };
        if settings.descending { o.reverse() } else { o }
    });
    let total_count: u64 = filtered.iter().map(|r| r.count).sum();
    let total_bytes: u64 = filtered.iter().map(|r| r.bytes).sum();

    let header = |key: SortKey, label: &str, data_key: &str, title: &str| {
        let arrow = match (settings.sort == key, settings.descending) {
            (false, _) => "",
            (true, true) => " ▼",
            (true, false) => " ▲",
        };
        let class = if key == SortKey::Type { "" } else { "num" };
        let handle = props.settings.clone();
        let onclick = Callback::from(move |_| handle.set(handle.sorted_by(key)));
        html! { <th class={class} title={title.to_string()}><button class="sort" data-key={data_key.to_string()}
                    {onclick}>{format!("{label}{arrow}")}</button></th> }
    };
    let bytes_cell = |class: &'static str, v: Option<u64>| match v {
        Some(b) => html! { <td class={classes!(class, "num")} data-bytes={b.to_string()} title={format!("{b} bytes")}>{fmt_bytes(b)}</td> },
        None => html! { <td class={classes!(class, "num")}><span class="pending" title="being computed">{"…"}</span></td> },
    };
    let status = match (&retained, &cost) {
        (Some((_, rms)), Some((_, cms))) => html! {
            <p class="legend" id="hist-extra">{format!(
                "Retained: bytes freed if every instance became unreachable (dominator tree, {}). Rounding waste: slot size minus requested size; padding: holes inside structs ({}).",
                fmt_ms(*rms), fmt_ms(*cms))}</p>
        },
        (None, _) => html! { <p class="legend computing" id="hist-extra">{"Computing retained sizes (dominator tree)…"}</p> },
        (Some(_), None) => html! { <p class="legend computing" id="hist-extra">{"Computing rounding waste and padding…"}</p> },
    };
    let oninput = {
        let handle = props.settings.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            handle.set(HistogramSettings { filter: input.value(), ..(*handle).clone() });
        })
    };
    let onchange = {
        let handle = props.settings.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            handle.set(HistogramSettings { regex: input.checked(), ..(*handle).clone() });
        })
    };
    html! {
        <section id="histogram-view">
            <h2>{"Histogram of live objects"}</h2>
            <div class="filter">
                <input id="filter" type="search" placeholder="filter types (substring)" value={settings.filter.clone()} {oninput} />
                <label><input id="filter-regex" type="checkbox" checked={settings.regex} {onchange} />{" regular expression"}</label>
                if let Some(e) = filter_error { <span class="bad">{e}</span> }
            </div>
            <p class="summary">{format!("{} types, {} objects, {}", filtered.len(), total_count, fmt_bytes(total_bytes))}</p>
            {status}
            <table id="histogram" class="grid">
                <thead><tr>
                    {header(SortKey::Type, "Type", "type", "")}
                    {header(SortKey::Count, "Count", "count", "live objects")}
                    {header(SortKey::Bytes, "Bytes", "bytes", "sum of the slot sizes")}
                    {header(SortKey::Retained, "Retained", "retained", "bytes freed if every instance became unreachable")}
                    {header(SortKey::Waste, "Rounding waste", "waste", "slot size minus the size the program asked for")}
                    {header(SortKey::Padding, "Padding", "padding", "struct padding inside the objects")}
                </tr></thead>
                <tbody>
                { for filtered.iter().take(MAX_ROWS).map(|r| html! {
                    <tr class="hist-row" data-type={r.type_name.clone()}>
                        <td class="type"><a href={Route::Objects(r.type_name.clone()).href()}>{r.type_name.clone()}</a></td>
                        <td class="count num">{r.count}</td>
                        <td class="bytes num" data-bytes={r.bytes.to_string()} title={format!("{} bytes", r.bytes)}>{fmt_bytes(r.bytes)}</td>
                        { bytes_cell("retained", retained_of(r)) }
                        { bytes_cell("waste", cost_of(r).map(|c| c.0)) }
                        { bytes_cell("padding", cost_of(r).map(|c| c.1)) }
                    </tr>
                }) }
                </tbody>
            </table>
            if filtered.len() > MAX_ROWS { <p class="more">{format!("{} more rows: narrow the filter.", filtered.len() - MAX_ROWS)}</p> }
        </section>
    }
}

/// `RegExp` built without letting an invalid pattern throw through wasm.
fn js_regex(pattern: &str) -> Result<js_sys::RegExp, String> {
    let ctor: js_sys::Function = js_sys::Reflect::get(&js_sys::global(), &"RegExp".into())
        .map_err(|_| "RegExp unavailable".to_string())?
        .unchecked_into();
    let args = js_sys::Array::of2(&pattern.into(), &"".into());
    js_sys::Reflect::construct(&ctor, &args).map(|v| v.unchecked_into()).map_err(|e| {
        e.dyn_ref::<js_sys::Error>()
            .map(|e| format!("invalid regular expression: {}", String::from(e.message())))
            .unwrap_or_else(|| "invalid regular expression".into())
    })
}
