//! One component per route, and the router that picks one.

mod dominators;
mod goroutines;
mod histogram;
mod object;
mod objects;
mod overview;
mod path;
mod suspects;

use std::collections::BTreeSet;

use yew::prelude::*;

use super::route::Route;
use dominators::DominatorsView;
use goroutines::{GoroutineListView, GroupsSettings, GroupsView};
use histogram::{HistogramSettings, HistogramView};
use object::ObjectView;
use objects::ObjectsView;
use overview::OverviewView;
use path::PathView;
use suspects::SuspectsView;

#[derive(Properties, PartialEq)]
pub struct RouterProps {
    pub route: Route,
}

/// The view of the current route, for the loaded analysis. The router lives as long as the
/// analysis does: it keeps what a view should find again when the user comes back (the
/// histogram's sort and filter, the open nodes of the dominator tree, the goroutine groups'
/// order, page and open groups).
#[function_component]
pub fn Router(props: &RouterProps) -> Html {
    let histogram = use_state(HistogramSettings::default);
    let dominators_open = use_state(BTreeSet::<u64>::new);
    let groups = use_state(GroupsSettings::default);
    let list_page = use_state(|| 0usize);
    match &props.route {
        Route::Home | Route::Overview => html! { <OverviewView /> },
        Route::Histogram => html! { <HistogramView settings={histogram} /> },
        Route::Objects(t) => html! { <ObjectsView key={t.clone()} type_name={t.clone()} /> },
        Route::Object(a) => html! { <ObjectView key={*a} addr={*a} /> },
        Route::Path(a) => html! { <PathView key={*a} addr={*a} /> },
        Route::Goroutines => html! { <GroupsView settings={groups} /> },
        Route::GoroutineList => html! { <GoroutineListView page={list_page} /> },
        Route::Dominators => html! { <DominatorsView open={dominators_open} /> },
        Route::Suspects => html! { <SuspectsView /> },
        Route::Unknown(s) => html! { <p class="empty">{format!("There is no page “{s}”.")}</p> },
    }
}
