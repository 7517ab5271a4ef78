//! How domain values are kept in the database: each stored enum has one mapping to and from its
//! text, and an unknown stored text is an error when it is read, never a silent default.

/// Makes `$type` a TEXT column value for every database sqlx speaks, through `$to` (to its
/// stored text) and `$from` (back, `None` for an unknown text).
macro_rules! text_column {
    ($type:ty, $to:ident, $from:ident) => {
        impl<DB: sqlx::Database> sqlx::Type<DB> for $type
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $type
        where
            String: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<'q, DB>>::encode(String::from(self.$to()), buf)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $type
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: <DB as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let stored = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                <$type>::$from(stored)
                    .ok_or_else(|| format!("unknown {} {stored:?} in the database", stringify!($type)).into())
            }
        }
    };
}

/// An enum whose every variant has one fixed text: in the database, in JSON and in the config.
/// Defines the enum, its `as_str` and `parse`, `Display`, serde both ways, and its TEXT column.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $( $(#[$variant_meta:meta])* $variant:ident = $text:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name { $( $(#[$variant_meta])* $variant ),+ }

        impl $name {
            /// Every value, in the order declared.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value's one text.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The value whose text is `text`, exactly.
            pub fn parse(text: &str) -> Option<$name> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                $name::parse(&text).ok_or_else(|| serde::de::Error::unknown_variant(&text, &[$($text),+]))
            }
        }

        $crate::domain::stored::text_column!($name, as_str, parse);
    };
}

pub(crate) use {text_column, text_enum};

#[cfg(test)]
mod tests {
    text_enum! {
        /// A test enum.
        enum Colour { Red = "red", DarkBlue = "dark_blue" }
    }

    #[test]
    fn each_value_has_one_text_both_ways() {
        for colour in Colour::ALL {
            assert_eq!(Colour::parse(colour.as_str()), Some(*colour));
        }
        assert_eq!(Colour::DarkBlue.to_string(), "dark_blue");
        assert_eq!(Colour::parse("Red"), None, "texts are exact");
    }

    #[test]
    fn an_unknown_text_in_json_names_the_expected_ones() {
        let error = serde_json::from_str::<Colour>("\"green\"").unwrap_err().to_string();
        assert!(error.contains("`red`") && error.contains("`dark_blue`"), "{error}");
        assert_eq!(serde_json::to_string(&Colour::Red).unwrap(), "\"red\"");
    }

    #[tokio::test]
    async fn an_unknown_stored_text_is_an_error_not_a_default() {
        let mut connection = <sqlx::SqliteConnection as sqlx::Connection>::connect("sqlite::memory:").await.unwrap();
        let known: Colour = sqlx::query_scalar("SELECT 'dark_blue'").fetch_one(&mut connection).await.unwrap();
        assert_eq!(known, Colour::DarkBlue);
        let unknown = sqlx::query_scalar::<_, Colour>("SELECT 'green'").fetch_one(&mut connection).await;
        assert!(unknown.unwrap_err().to_string().contains("unknown Colour \"green\""));
        let written: String =
            sqlx::query_scalar("SELECT ?1").bind(Colour::Red).fetch_one(&mut connection).await.unwrap();
        assert_eq!(written, "red");
    }
}
