//! The answers the worker sent for the loaded analysis, keyed by the query they answer, and
//! the hooks the views read them through.
//!
//! A view asks with [`use_answer`]: the first view to need an answer sends its query (once:
//! the entry turns [`Entry::Pending`]), and every view showing it re-renders when it arrives.
//! The cache is emptied when another analysis is opened.

use std::collections::HashMap;
use std::rc::Rc;

use yew::prelude::*;

use crate::protocol::{Answer, Query};

/// What the page knows about one query.
#[derive(Clone, Debug)]
pub enum Entry {
    /// Not asked yet.
    Missing,
    /// Sent to the worker, no answer yet.
    Pending,
    Done(Rc<Answer>),
    /// The worker could not answer (the message is also shown among the errors). Not asked
    /// again until the next analysis is opened.
    Failed,
}

impl Entry {
    pub fn answer(&self) -> Option<&Answer> {
        match self {
            Entry::Done(a) => Some(a),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Cache {
    entries: HashMap<Query, Entry>,
}

impl Cache {
    pub fn get(&self, query: &Query) -> Entry {
        self.entries.get(query).cloned().unwrap_or(Entry::Missing)
    }

    /// The answer to `query`, if it is here.
    pub fn done(&self, query: &Query) -> Option<&Answer> {
        match self.entries.get(query)? {
            Entry::Done(a) => Some(a),
            _ => None,
        }
    }

    /// Marks `query` as sent; false if it was already asked (pending, answered or failed).
    pub fn start(&mut self, query: &Query) -> bool {
        if self.entries.contains_key(query) {
            return false;
        }
        self.entries.insert(query.clone(), Entry::Pending);
        true
    }

    /// Stores an answer to a query this cache sent. Answers to queries it did not send are
    /// dropped: they were asked about the analysis opened before this one.
    pub fn answer(&mut self, query: Query, answer: Answer) {
        if let Some(e @ Entry::Pending) = self.entries.get_mut(&query) {
            *e = Entry::Done(Rc::new(answer));
        }
    }

    /// Stores an answer that came with the analysis itself (the overview, with `Opened`).
    pub fn insert(&mut self, query: Query, answer: Answer) {
        self.entries.insert(query, Entry::Done(Rc::new(answer)));
    }

    /// Records that a sent query failed; false if this cache did not send it.
    pub fn fail(&mut self, query: &Query) -> bool {
        match self.entries.get_mut(query) {
            Some(e @ Entry::Pending) => {
                *e = Entry::Failed;
                true
            }
            _ => false,
        }
    }
}

/// What the views share: the answers so far and the way to ask for more. Provided by the
/// app as a context while an analysis is loaded.
#[derive(Clone)]
pub struct Session {
    pub cache: Rc<Cache>,
    /// Sends a query to the worker unless it was already asked.
    pub ask: Callback<Query>,
}

impl PartialEq for Session {
    /// The app replaces the cache's `Rc` on every change, so the pointer says whether
    /// anything changed.
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.cache, &other.cache) && self.ask == other.ask
    }
}

#[hook]
pub fn use_session() -> Session {
    use_context::<Session>().expect("views are rendered inside the app's Session provider")
}

/// The entry for `query`, asked for if missing.
#[hook]
pub fn use_answer(query: Query) -> Entry {
    use_answer_when(true, query)
}

/// The entry for `query`, asked for if missing and `wanted` (to ask only once something
/// else is on screen, or on demand).
#[hook]
pub fn use_answer_when(wanted: bool, query: Query) -> Entry {
    let session = use_session();
    let entry = session.cache.get(&query);
    let ask_now = wanted && matches!(entry, Entry::Missing);
    // Asked from an effect, after rendering: the app's state changes outside of its render.
    use_effect_with((query, ask_now), move |(query, ask_now)| {
        if *ask_now {
            session.ask.emit(query.clone());
        }
    });
    entry
}
