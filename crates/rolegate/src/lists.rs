//! Borrowed lists of strings a request carries (group ids, condition attributes), accepted as the caller holds
//! them: `&[&str]` built for the call, or `&[String]` straight from a parsed token, with no re-collecting.

/// A borrowed list of strings: `&[&str]` or `&[String]` (`From` both, and from `Vec`s and arrays of them).
#[derive(Clone, Copy, Debug)]
pub enum Names<'a> {
    /// Borrowed `&str`s.
    Strs(&'a [&'a str]),
    /// Owned `String`s, borrowed.
    Strings(&'a [String]),
}

impl Default for Names<'_> {
    fn default() -> Self {
        Names::Strs(&[])
    }
}

impl<'a> Names<'a> {
    /// The strings, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + 'a {
        let (strs, strings): (&'a [&'a str], &'a [String]) = match *self {
            Names::Strs(s) => (s, &[]),
            Names::Strings(s) => (&[], s),
        };
        strs.iter().copied().chain(strings.iter().map(String::as_str))
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        match self {
            Names::Strs(s) => s.len(),
            Names::Strings(s) => s.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a> From<&'a [&'a str]> for Names<'a> {
    fn from(s: &'a [&'a str]) -> Self {
        Names::Strs(s)
    }
}

impl<'a, const N: usize> From<&'a [&'a str; N]> for Names<'a> {
    fn from(s: &'a [&'a str; N]) -> Self {
        Names::Strs(s)
    }
}

impl<'a> From<&'a Vec<&'a str>> for Names<'a> {
    fn from(s: &'a Vec<&'a str>) -> Self {
        Names::Strs(s)
    }
}

impl<'a> From<&'a [String]> for Names<'a> {
    fn from(s: &'a [String]) -> Self {
        Names::Strings(s)
    }
}

impl<'a> From<&'a Vec<String>> for Names<'a> {
    fn from(s: &'a Vec<String>) -> Self {
        Names::Strings(s)
    }
}

/// A borrowed list of `(key, value)` pairs: `&[(&str, &str)]` or `&[(String, String)]`.
#[derive(Clone, Copy, Debug)]
pub enum Pairs<'a> {
    /// Borrowed `&str` pairs.
    Strs(&'a [(&'a str, &'a str)]),
    /// Owned `String` pairs, borrowed.
    Strings(&'a [(String, String)]),
}

impl Default for Pairs<'_> {
    fn default() -> Self {
        Pairs::Strs(&[])
    }
}

impl<'a> Pairs<'a> {
    /// The pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let (strs, strings) = match *self {
            Pairs::Strs(s) => (s, &[][..]),
            Pairs::Strings(s) => (&[][..], s),
        };
        strs.iter().copied().chain(strings.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        match self {
            Pairs::Strs(s) => s.len(),
            Pairs::Strings(s) => s.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a> From<&'a [(&'a str, &'a str)]> for Pairs<'a> {
    fn from(s: &'a [(&'a str, &'a str)]) -> Self {
        Pairs::Strs(s)
    }
}

impl<'a, const N: usize> From<&'a [(&'a str, &'a str); N]> for Pairs<'a> {
    fn from(s: &'a [(&'a str, &'a str); N]) -> Self {
        Pairs::Strs(s)
    }
}

impl<'a> From<&'a Vec<(&'a str, &'a str)>> for Pairs<'a> {
    fn from(s: &'a Vec<(&'a str, &'a str)>) -> Self {
        Pairs::Strs(s)
    }
}

impl<'a> From<&'a [(String, String)]> for Pairs<'a> {
    fn from(s: &'a [(String, String)]) -> Self {
        Pairs::Strings(s)
    }
}

impl<'a> From<&'a Vec<(String, String)>> for Pairs<'a> {
    fn from(s: &'a Vec<(String, String)>) -> Self {
        Pairs::Strings(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_give_the_same_strings() {
        let owned = vec!["g1".to_owned(), "g2".to_owned()];
        let borrowed = ["g1", "g2"];
        let a: Vec<&str> = Names::from(&owned).iter().collect();
        let b: Vec<&str> = Names::from(&borrowed).iter().collect();
        assert_eq!(a, b);
        assert_eq!((Names::from(&owned).len(), Names::default().is_empty()), (2, true));
        let owned = vec![("k".to_owned(), "v".to_owned())];
        let a: Vec<(&str, &str)> = Pairs::from(&owned).iter().collect();
        assert_eq!(a, [("k", "v")]);
        assert_eq!(Pairs::from(&[("k", "v"), ("k", "w")]).len(), 2);
    }
}
