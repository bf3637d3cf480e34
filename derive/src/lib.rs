//! `#[derive(FromRow)]` for the row structs of MyKollector.
//!
//! It implements `mysql::prelude::FromRow` as `mysql_common`'s own derive
//! does — one field per column, found by name, `#[mysql(rename = "…")]` and
//! `#[mysql(deserialize_with = "path")]` honoured — without its per-row
//! cost: that derive builds a `HashMap` of every column name for each row
//! (`SipHash` and several rehashes for a 30-column row), then finds each
//! column again by a linear search. Here each field first looks at the
//! column in its own position, where our queries put it, and searches by
//! name only when that column has another name. A 50-row list page spent
//! about a fifth of its instructions in the other derive.
//!
//! A column that is missing or does not convert makes the conversion fail
//! with the row, as the trait requires (the caller logs it and answers 500).

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::{parse_macro_input, Data, DeriveInput, Fields, LitStr};

/// See the crate documentation.
#[proc_macro_derive(FromRow, attributes(mysql))]
pub fn derive_from_row(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// A field's column name and how its value is converted.
struct Field<'a> {
    ident: &'a syn::Ident,
    ty: &'a syn::Type,
    column: String,
    deserialize_with: Option<syn::Path>,
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(input, "FromRow: structs only"));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new_spanned(input, "FromRow: named fields only"));
    };
    let fields = named
        .named
        .iter()
        .map(field)
        .collect::<syn::Result<Vec<_>>>()?;
    let reads = fields
        .iter()
        .enumerate()
        .map(|(position, f)| read(position, f));
    let idents = fields.iter().map(|f| f.ident);
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics ::mysql::prelude::FromRow for #name #ty_generics #where_clause {
            fn from_row_opt(mut row: ::mysql::Row) -> ::std::result::Result<Self, ::mysql::FromRowError> {
                #(#reads)*
                ::std::result::Result::Ok(Self { #(#idents),* })
            }
        }
    })
}

/// Reads the field's `#[mysql(...)]` attributes.
fn field(f: &syn::Field) -> syn::Result<Field<'_>> {
    let ident = f
        .ident
        .as_ref()
        .ok_or_else(|| syn::Error::new_spanned(f, "FromRow: named fields only"))?;
    let mut column = ident.to_string().trim_start_matches("r#").to_string();
    let mut deserialize_with = None;
    for attr in f.attrs.iter().filter(|a| a.path().is_ident("mysql")) {
        attr.parse_nested_meta(|meta| {
            let value: LitStr = meta.value()?.parse()?;
            if meta.path.is_ident("rename") {
                column = value.value();
            } else if meta.path.is_ident("deserialize_with") {
                deserialize_with = Some(value.parse()?);
            } else {
                // `serialize_with` is not needed: a value that does not
                // convert comes back whole in its `FromValueError`.
                return Err(meta.error("FromRow: only rename and deserialize_with"));
            }
            Ok(())
        })?;
    }
    Ok(Field {
        ident,
        ty: &f.ty,
        column,
        deserialize_with,
    })
}

/// `let field = …;` from the column at `position` when it has the field's
/// name, else from the column of that name anywhere in the row.
fn read(position: usize, f: &Field) -> Tokens {
    let Field {
        ident,
        ty,
        column,
        deserialize_with,
    } = f;
    let name = syn::LitByteStr::new(column.as_bytes(), ident.span());
    let convert = deserialize_with.as_ref().map_or_else(
        || quote!(<#ty as ::mysql::prelude::FromValue>::from_value_opt(value)),
        |path| quote!(#path(value)),
    );
    quote! {
        let #ident = {
            let columns = row.columns_ref();
            let index = if columns.get(#position).is_some_and(|c| c.name_ref() == #name) {
                ::std::option::Option::Some(#position)
            } else {
                columns.iter().position(|c| c.name_ref() == #name)
            };
            let ::std::option::Option::Some(index) = index else {
                return ::std::result::Result::Err(::mysql::FromRowError(row));
            };
            let ::std::option::Option::Some(value) = row.take::<::mysql::Value, usize>(index) else {
                return ::std::result::Result::Err(::mysql::FromRowError(row));
            };
            match #convert {
                ::std::result::Result::Ok(converted) => converted,
                ::std::result::Result::Err(e) => {
                    row.place(index, e.0);
                    return ::std::result::Result::Err(::mysql::FromRowError(row));
                }
            }
        };
    }
}
