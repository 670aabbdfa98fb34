//! The rules of DevRev's initial-domain-mapping schema, encoded by hand.
//!
//! Source: `initial_mappings_schema.yaml` in github.com/devrev/airdrop-shared at commit
//! 17e4995b89581818240df7df702b593fd9247ff4 (last changed by 2e6a534ceee88e727696acc75f41adca22bc313d,
//! "Update IDM schema (#41)"); byte-identical in devrev/adaas-chef-cli at
//! 217b5ac1fa2ce1afc048e57639efee84653fe49d. That file carries no open licence (adaas-chef-cli:
//! "All Rights Reserved"), so it is not vendored: each rule below cites the `$defs` entry it
//! comes from, and nothing here reads the file.
//!
//! How the schema is read:
//! - `required`, `enum` and `type` as JSON Schema defines them.
//! - A `oneOf` with an OpenAPI `discriminator` picks its branch by the discriminating property's
//!   value through `discriminator.mapping`; a value without a mapping entry matches no branch.
//! - `additionalProperties: false` on a branch admits, besides the branch's own properties,
//!   the discriminating properties that selected it (they are declared by the parent schema).
//! - No `additionalProperties: false` elsewhere: unknown keys are not errors there.

use serde_json::{Map, Value};

/// Every violation found in `idm`, as `path: problem`.
pub fn check(idm: &Value) -> Vec<String> {
    let mut c = Checker::default();
    c.root(idm);
    c.errs
}

/// `airdrop-recipe-set-field-mapping-transformation-method-transformation-method` (enum).
const TRANSFORMATION_METHODS: &[&str] = &[
    "filter_typed_reference",
    "make_authorization_target",
    "make_custom_links",
    "make_custom_stages",
    "make_struct",
    "map_enum",
    "map_roles",
    "use_as_array_value",
    "use_devrev_record",
    "use_directly",
    "use_first_non_null",
    "use_fixed_value",
    "use_raw_jq",
    "use_rich_text",
];

/// `airdrop-recipe-dev-rev-leaf-type-dev-rev-leaf-type-category` (enum).
const LEAF_CATEGORIES: &[&str] = &["custom", "fresh_custom", "stock", "synthetic"];

/// `airdrop-recipe-fallback-type` (enum).
const FALLBACK_TYPES: &[&str] = &["bool", "date", "enum", "float", "int", "rich_text", "text", "timestamp"];

/// `airdrop-recipe-use-fixed-value-value` (enum).
const FIXED_VALUES: &[&str] = &["bool", "enum_value", "none"];

/// `...-shard-mode` (enum, both shard kinds).
const SHARD_MODES: &[&str] = &["create_shard"];

#[derive(Default)]
struct Checker {
    errs: Vec<String>,
}

#[derive(Clone, Copy)]
enum Ty {
    Obj,
    Arr,
    Str,
    Bool,
    Int,
}

impl Checker {
    fn err(&mut self, path: &str, msg: impl std::fmt::Display) {
        self.errs.push(format!("{path}: {msg}"));
    }

    fn obj<'a>(&mut self, path: &str, v: &'a Value) -> Option<&'a Map<String, Value>> {
        let o = v.as_object();
        if o.is_none() {
            self.err(path, "must be an object");
        }
        o
    }

    fn ty(&mut self, path: &str, v: &Value, ty: Ty) -> bool {
        let ok = match ty {
            Ty::Obj => v.is_object(),
            Ty::Arr => v.is_array(),
            Ty::Str => v.is_string(),
            Ty::Bool => v.is_boolean(),
            Ty::Int => v.is_i64() || v.is_u64(),
        };
        if !ok {
            self.err(path, format!("{v} is not of the declared type"));
        }
        ok
    }

    fn required(&mut self, path: &str, o: &Map<String, Value>, keys: &[&str]) {
        for k in keys {
            if !o.contains_key(*k) {
                self.err(path, format!("required property `{k}` is missing"));
            }
        }
    }

    /// Optional typed properties.
    fn typed(&mut self, path: &str, o: &Map<String, Value>, props: &[(&str, Ty)]) {
        for (k, ty) in props {
            if let Some(v) = o.get(*k) {
                self.ty(&format!("{path}.{k}"), v, *ty);
            }
        }
    }

    fn one_of(&mut self, path: &str, v: Option<&Value>, allowed: &[&str]) -> Option<String> {
        let v = v?;
        let Some(s) = v.as_str() else {
            self.err(path, format!("{v} is not a string from {allowed:?}"));
            return None;
        };
        if allowed.contains(&s) {
            Some(s.to_string())
        } else {
            self.err(path, format!("`{s}` is not one of {allowed:?}"));
            None
        }
    }

    /// `additionalProperties: false`: only `allowed` keys.
    fn closed(&mut self, path: &str, o: &Map<String, Value>, allowed: &[&str]) {
        for k in o.keys() {
            if !allowed.contains(&k.as_str()) {
                self.err(path, format!("property `{k}` is not allowed (additionalProperties: false)"));
            }
        }
    }

    /// The document (`airdrop-recipe-initial-domain-mappings-install-request`).
    fn root(&mut self, v: &Value) {
        let Some(o) = self.obj("$", v) else { return };
        self.typed("$", o, &[("devrev_metadata_version", Ty::Int), ("format_version", Ty::Str), ("additional_mappings", Ty::Obj)]);
        let Some(am) = o.get("additional_mappings").and_then(Value::as_object) else { return };
        for key in ["record_type_mappings", "record_type_category_mappings"] {
            let Some(m) = am.get(key) else { continue };
            let path = format!("$.additional_mappings.{key}");
            let Some(m) = self.obj(&path, m) else { continue };
            for (t, rt) in m {
                self.record_type_mappings(&format!("{path}.{t}"), rt);
            }
        }
    }

    /// `airdrop-recipe-create-possible-record-type-mappings`.
    fn record_type_mappings(&mut self, path: &str, v: &Value) {
        let Some(o) = self.obj(path, v) else { return };
        self.required(path, o, &["default_mapping"]);
        if let Some(d) = o.get("default_mapping") {
            self.leaf_type(&format!("{path}.default_mapping"), d);
        }
        if let Some(c) = o.get("mapping_as_custom_object") {
            self.custom_object_mapping(&format!("{path}.mapping_as_custom_object"), c);
        }
        if let Some(p) = o.get("possible_record_type_mappings") {
            let pp = format!("{path}.possible_record_type_mappings");
            if self.ty(&pp, p, Ty::Arr) {
                for (i, m) in p.as_array().into_iter().flatten().enumerate() {
                    self.record_type_mapping(&format!("{pp}[{i}]"), m);
                }
            }
        }
    }

    /// `airdrop-recipe-dev-rev-leaf-type`.
    fn leaf_type(&mut self, path: &str, v: &Value) {
        let Some(o) = self.obj(path, v) else { return };
        self.required(path, o, &["object_type"]);
        self.typed(path, o, &[("object_type", Ty::Str), ("object_category", Ty::Str)]);
        self.one_of(&format!("{path}.object_category"), o.get("object_category"), LEAF_CATEGORIES);
    }

    /// `airdrop-recipe-create-possible-record-type-mapping`: here `devrev_leaf_type` is a string.
    fn record_type_mapping(&mut self, path: &str, v: &Value) {
        let Some(o) = self.obj(path, v) else { return };
        self.required(path, o, &["devrev_leaf_type", "forward", "reverse"]);
        self.typed(path, o, &[("devrev_leaf_type", Ty::Str), ("forward", Ty::Bool), ("reverse", Ty::Bool)]);
        if let Some(s) = o.get("shard") {
            self.shard(&format!("{path}.shard"), s);
        }
    }

    /// `airdrop-recipe-create-possible-custom-object-mapping`.
    fn custom_object_mapping(&mut self, path: &str, v: &Value) {
        let Some(o) = self.obj(path, v) else { return };
        self.required(path, o, &["forward", "reverse"]);
        self.typed(path, o, &[("forward", Ty::Bool), ("reverse", Ty::Bool)]);
        if let Some(s) = o.get("shard") {
            self.shard(&format!("{path}.shard"), s);
        }
    }

    /// Both shard kinds: `required: [mode]`, discriminator `mode`, whose only mapping is
    /// `create_shard` → `airdrop-recipe-blueprint-shards-create-request`.
    fn shard(&mut self, path: &str, v: &Value) {
        let Some(o) = self.obj(path, v) else { return };
        self.required(path, o, &["mode"]);
        if self.one_of(&format!("{path}.mode"), o.get("mode"), SHARD_MODES).is_none() {
            return;
        }
        self.required(path, o, &["devrev_leaf_type"]);
        if let Some(l) = o.get("devrev_leaf_type") {
            self.leaf_type(&format!("{path}.devrev_leaf_type"), l);
        }
        if let Some(m) = o.get("stock_field_mappings") {
            let mp = format!("{path}.stock_field_mappings");
            if let Some(m) = self.obj(&mp, m) {
                for (f, fm) in m {
                    self.field_mapping(&format!("{mp}.{f}"), fm);
                }
            }
        }
    }

    /// `airdrop-recipe-set-field-mapping`. "Either forward or reverse, or both have to be
    /// selected" (from the description of `reverse`) is checked too.
    fn field_mapping(&mut self, path: &str, v: &Value) {
        let Some(o) = self.obj(path, v) else { return };
        self.required(path, o, &["forward", "reverse"]);
        self.typed(path, o, &[("forward", Ty::Bool), ("reverse", Ty::Bool), ("primary_external_field", Ty::Str)]);
        if o.get("forward") == Some(&Value::Bool(false)) && o.get("reverse") == Some(&Value::Bool(false)) {
            self.err(path, "neither forward nor reverse is selected");
        }
        if let Some(f) = o.get("fallback") {
            // `airdrop-recipe-fallback`.
            let fp = format!("{path}.fallback");
            if let Some(fo) = self.obj(&fp, f) {
                self.required(&fp, fo, &["type", "value"]);
                self.one_of(&format!("{fp}.type"), fo.get("type"), FALLBACK_TYPES);
            }
        }
        if let Some(t) = o.get("transformation_method_for_set") {
            self.transformation(&format!("{path}.transformation_method_for_set"), t);
        }
    }

    /// `airdrop-recipe-set-field-mapping-transformation-method`: discriminator
    /// `transformation_method`; `use_raw_jq` is in the enum but has no mapping entry.
    fn transformation(&mut self, path: &str, v: &Value) {
        let Some(o) = self.obj(path, v) else { return };
        self.required(path, o, &["transformation_method"]);
        let Some(method) = self.one_of(&format!("{path}.transformation_method"), o.get("transformation_method"), TRANSFORMATION_METHODS)
        else {
            return;
        };
        let tm = "transformation_method";
        match method.as_str() {
            // `airdrop-recipe-filter-typed-reference`.
            "filter_typed_reference" => {
                self.required(path, o, &["allowed_types"]);
                self.typed(path, o, &[("allowed_types", Ty::Arr), ("is_collection", Ty::Bool)]);
                for (i, l) in o.get("allowed_types").and_then(Value::as_array).into_iter().flatten().enumerate() {
                    self.leaf_type(&format!("{path}.allowed_types[{i}]"), l);
                }
            }
            // `airdrop-recipe-make-authorization-target`, `-use-as-array-value`,
            // `-use-directly`, `-use-rich-text`: empty, `additionalProperties: false`.
            "make_authorization_target" | "use_as_array_value" | "use_directly" | "use_rich_text" => self.closed(path, o, &[tm]),
            // `airdrop-recipe-make-custom-links`.
            "make_custom_links" => {
                self.required(path, o, &["reverse_stock_types"]);
                self.string_map(&format!("{path}.reverse_stock_types"), o.get("reverse_stock_types"));
            }
            // `airdrop-recipe-make-custom-stages` → `airdrop-recipe-custom-stage`.
            "make_custom_stages" => {
                self.required(path, o, &["stages"]);
                let sp = format!("{path}.stages");
                let Some(stages) = o.get("stages") else { return };
                let Some(stages) = self.obj(&sp, stages) else { return };
                for (k, st) in stages {
                    let p = format!("{sp}.{k}");
                    let Some(so) = self.obj(&p, st) else { continue };
                    self.required(&p, so, &["is_deprecated", "ordinal", "stage_name", "transition_to"]);
                    self.typed(
                        &p,
                        so,
                        &[("is_deprecated", Ty::Bool), ("ordinal", Ty::Int), ("stage_name", Ty::Str), ("transition_to", Ty::Arr)],
                    );
                }
            }
            // `airdrop-recipe-set-make-struct`.
            "make_struct" => {
                self.required(path, o, &["field_mappings"]);
                let fp = format!("{path}.field_mappings");
                let Some(fm) = o.get("field_mappings") else { return };
                let Some(fm) = self.obj(&fp, fm) else { return };
                for (k, m) in fm {
                    self.field_mapping(&format!("{fp}.{k}"), m);
                }
            }
            // `airdrop-recipe-map-enum` → `airdrop-recipe-mapping-target-value`.
            "map_enum" => {
                self.typed(path, o, &[("forward_default", Ty::Str), ("is_array", Ty::Bool)]);
                for dir in ["forward", "reverse"] {
                    let dp = format!("{path}.{dir}");
                    let Some(m) = o.get(dir) else { continue };
                    let Some(m) = self.obj(&dp, m) else { continue };
                    for (k, target) in m {
                        let p = format!("{dp}.{k}");
                        if let Some(to) = self.obj(&p, target) {
                            self.required(&p, to, &["value"]);
                            self.typed(&p, to, &[("value", Ty::Str)]);
                        }
                    }
                }
            }
            // `airdrop-recipe-map-roles`.
            "map_roles" => {
                self.typed(path, o, &[("forward_default", Ty::Str), ("is_array", Ty::Bool)]);
                if o.contains_key("forward") {
                    self.string_map(&format!("{path}.forward"), o.get("forward"));
                }
            }
            // `airdrop-recipe-use-dev-rev-record`.
            "use_devrev_record" => {
                self.typed(path, o, &[("id", Ty::Str), ("is_array", Ty::Bool)]);
                if let Some(l) = o.get("leaf_type") {
                    self.leaf_type(&format!("{path}.leaf_type"), l);
                }
            }
            // `airdrop-recipe-set-use-first-non-null` → `...-alternative`.
            "use_first_non_null" => {
                self.required(path, o, &["alternatives"]);
                for (i, alt) in o.get("alternatives").and_then(Value::as_array).into_iter().flatten().enumerate() {
                    let p = format!("{path}.alternatives[{i}]");
                    let Some(ao) = self.obj(&p, alt) else { continue };
                    self.required(&p, ao, &["field_mapping", "is_default_in_reverse"]);
                    self.typed(&p, ao, &[("is_default_in_reverse", Ty::Bool)]);
                    if let Some(fm) = ao.get("field_mapping") {
                        self.field_mapping(&format!("{p}.field_mapping"), fm);
                    }
                }
            }
            // `airdrop-recipe-use-fixed-value`: discriminator `value` → `bool`:
            // `airdrop-recipe-fixed-bool` (`bool` required, boolean), `enum_value`:
            // `airdrop-recipe-fixed-string` (`enum` required, string), `none`: `empty`
            // (`additionalProperties: false`).
            "use_fixed_value" => {
                let vp = format!("{path}.value");
                if !o.contains_key("value") {
                    self.err(path, "use_fixed_value without the discriminating property `value`");
                    return;
                }
                match self.one_of(&vp, o.get("value"), FIXED_VALUES).as_deref() {
                    Some("bool") => {
                        self.required(path, o, &["bool"]);
                        self.typed(path, o, &[("bool", Ty::Bool)]);
                    }
                    Some("enum_value") => {
                        self.required(path, o, &["enum"]);
                        self.typed(path, o, &[("enum", Ty::Str)]);
                    }
                    Some(_) => self.closed(path, o, &[tm, "value"]),
                    None => {}
                }
            }
            other => self.err(path, format!("`{other}` has no branch in the discriminator's mapping")),
        }
    }

    /// An object whose values are all strings.
    fn string_map(&mut self, path: &str, v: Option<&Value>) {
        let Some(v) = v else { return };
        let Some(m) = self.obj(path, v) else { return };
        for (k, s) in m {
            self.ty(&format!("{path}.{k}"), s, Ty::Str);
        }
    }
}
