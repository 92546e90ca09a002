//! Language of messages for people: zh-CN by default, English when `Accept-Language` prefers it.
//! Machine-readable fields (`type`, `code`) never change with the language.

use actix_web::HttpRequest;

/// A language the service speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    /// Simplified Chinese, the default.
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The language of a request.
    pub fn of(req: &HttpRequest) -> Lang {
        req.headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(Lang::negotiate)
            .unwrap_or_default()
    }

    /// Picks from an `Accept-Language` value: English only when an `en` range has a higher
    /// quality than every `zh` range (and than `*`); otherwise Chinese.
    pub fn negotiate(header: &str) -> Lang {
        let mut best_en = 0.0_f32;
        let mut best_zh = 0.0_f32;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let mut q = 1.0_f32;
            for param in parts {
                if let Some(v) = param.trim().strip_prefix("q=") {
                    q = v.trim().parse().unwrap_or(0.0);
                }
            }
            if !(0.0..=1.0).contains(&q) {
                continue;
            }
            let primary = tag.split('-').next().unwrap_or("");
            match primary {
                "en" => best_en = best_en.max(q),
                "zh" | "*" => best_zh = best_zh.max(q),
                _ => {}
            }
        }
        if best_en > 0.0 && best_en > best_zh {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    /// The `Content-Language` value.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Picks the text of this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_the_default() {
        assert_eq!(Lang::negotiate(""), Lang::Zh);
        assert_eq!(Lang::negotiate("fr-FR"), Lang::Zh);
        assert_eq!(Lang::negotiate("*"), Lang::Zh);
        assert_eq!(Lang::negotiate("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh);
    }

    #[test]
    fn english_when_preferred() {
        assert_eq!(Lang::negotiate("en"), Lang::En);
        assert_eq!(Lang::negotiate("en-US,en;q=0.9"), Lang::En);
        assert_eq!(Lang::negotiate("fr;q=1, en;q=0.5"), Lang::En);
        assert_eq!(Lang::negotiate("EN-gb"), Lang::En);
        assert_eq!(Lang::negotiate("zh;q=0.3, en;q=0.7"), Lang::En);
    }

    #[test]
    fn ties_and_refusals_keep_chinese() {
        assert_eq!(Lang::negotiate("en;q=0.5, zh;q=0.5"), Lang::Zh);
        assert_eq!(Lang::negotiate("en;q=0"), Lang::Zh);
        assert_eq!(Lang::negotiate("en;q=abc"), Lang::Zh);
        assert_eq!(Lang::negotiate("en;q=2"), Lang::Zh);
    }
}
