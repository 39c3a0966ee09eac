//! How a holder of a seat is named in the tables of `who`, `state` and `committee`.

/// "Norway (Steffen Kongstad)" where the election names who sits for the State.
pub fn with_person(name: String, person: Option<&str>) -> String {
    match person {
        Some(person) => format!("{name} ({person})"),
        None => name,
    }
}
