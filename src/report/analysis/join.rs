//! Joining a part's `source_ports` rows to its `sources` rows by the
//! source's text, without an allocation per row: darkscope writes both in
//! the same order, so a forward walk finds each row; a map takes over for
//! parts written in another order.

type FastMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::FixedState>;

/// Finds rows of a part's `source_ports` among its sources: walking
/// forward while the rows come in the sources' order (as darkscope writes
/// them), by a map once they do not.
pub(super) struct Join<'a> {
    texts: &'a Texts,
    at: usize,
    index: Option<FastMap<&'a str, u32>>,
}

impl<'a> Join<'a> {
    pub fn new(texts: &'a Texts) -> Join<'a> {
        Join { texts, at: 0, index: None }
    }

    pub fn find(&mut self, text: &str) -> Option<u32> {
        if self.index.is_none() {
            while self.at < self.texts.len() && self.texts.get(self.at) != text {
                self.at += 1;
            }
            if self.at < self.texts.len() {
                return Some(self.at as u32);
            }
        }
        let texts = self.texts;
        let map = self.index.get_or_insert_with(|| (0..texts.len()).map(|i| (texts.get(i), i as u32)).collect());
        map.get(text).copied()
    }
}

/// Strings in one buffer (a part's source column, without an allocation
/// per row).
#[derive(Default)]
pub(super) struct Texts {
    bytes: String,
    ends: Vec<usize>,
}

impl Texts {
    pub fn push(&mut self, text: &str) {
        self.bytes.push_str(text);
        self.ends.push(self.bytes.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_found_in_order_and_out_of_order() {
        let mut texts = Texts::default();
        for t in ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"] {
            texts.push(t);
        }
        let mut join = Join::new(&texts);
        // darkscope's order, skipping a source without ports.
        assert_eq!(join.find("10.0.0.1"), Some(0));
        assert_eq!(join.find("10.0.0.1"), Some(0));
        assert_eq!(join.find("10.0.0.3"), Some(2));
        // Out of order: the map takes over, and unknown sources are none.
        assert_eq!(join.find("10.0.0.2"), Some(1));
        assert_eq!(join.find("10.0.0.4"), Some(3));
        assert_eq!(join.find("10.0.0.9"), None);
    }
}
