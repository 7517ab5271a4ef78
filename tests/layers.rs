//! The layers, kept true: every import in `src/` points down the flow, never up or sideways, and
//! no two modules of one layer import each other round in a circle. See `docs/ARCHITECTURE.md`.
//!
//! Every file is parsed (with syn), and every path that names a module of the crate is read:
//! `use crate::…` and `use super::…` trees, and paths written out in code.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use syn::visit::Visit;

/// The layers, lowest first. A module may use only modules of lower layers (and itself).
const LAYERS: &[&[&str]] = &[
    &["text"],
    &["domain"],
    &["config", "locale", "metrics", "telemetry"],
    &["store"],
    &["article", "audience", "render"],
    &["delivery"],
    &["sources"],
    &["services"],
    &["telegram"],
    &["http"],
    &["app"],
    &["demo"],
    &["cli"],
];

/// Above the services nothing touches the database: the edges parse, call a service, answer.
const EDGES_WITHOUT_STORE: &[&str] = &["telegram", "http", "demo", "cli"];

#[test]
fn every_import_points_down_the_layers() {
    let mut wrong = Vec::new();
    for file in source_files() {
        for used in modules_used(&file) {
            let (from, to) = (&file.module[0], &used[0]);
            if from == to {
                continue;
            }
            match (layer_of(from), layer_of(to)) {
                (Some(here), Some(there)) if there < here => {}
                (Some(here), Some(there)) => wrong.push(format!(
                    "{}: `{}` uses `{}`, which is {} (layer {there} against {here})",
                    file.path.display(),
                    from,
                    used.join("::"),
                    if there == here { "in the same layer" } else { "a layer above" },
                )),
                _ => wrong.push(format!("{}: `{from}` or `{to}` belongs to no layer", file.path.display())),
            }
            if EDGES_WITHOUT_STORE.contains(&from.as_str()) && to == "store" {
                wrong.push(format!("{}: the edge `{from}` uses the store; go through a service", file.path.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layers:\n{}", wrong.join("\n"));
}

#[test]
fn no_modules_of_one_module_import_each_other_in_a_circle() {
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for file in source_files().into_iter().filter(|file| file.module.len() >= 2) {
        let parent = &file.module[..1];
        let from = file.module[..2].to_vec();
        for used in modules_used(&file) {
            if used.len() >= 2 && used[..1] == *parent && used[..2] != from[..] {
                edges.entry(from.clone()).or_default().insert(used[..2].to_vec());
            }
        }
    }
    let cycles: Vec<String> = edges.keys().filter_map(|start| cycle_from(start, &edges)).collect();
    assert!(cycles.is_empty(), "modules that import each other:\n{}", cycles.join("\n"));
}

#[test]
fn the_check_sees_an_upward_import_and_names_its_file() {
    let file = SourceFile {
        path: "src/store/example.rs".into(),
        module: vec!["store".into(), "example".into()],
        syntax: syn::parse_file("use crate::services::Services; fn f() { crate::http::router(); }").unwrap(),
    };
    let used = modules_used(&file);
    assert!(used.contains(&vec!["services".into(), "Services".into()]));
    assert!(used.contains(&vec!["http".into(), "router".into()]));
    assert!(layer_of("services") > layer_of("store"));
}

#[test]
fn super_in_a_nested_module_is_resolved_from_where_it_stands() {
    let file = SourceFile {
        path: "src/store/example.rs".into(),
        module: vec!["store".into(), "example".into()],
        syntax: syn::parse_file("use super::fan_out::x; mod tests { use super::*; use super::super::y; }").unwrap(),
    };
    let used = modules_used(&file);
    assert!(used.contains(&vec!["store".into(), "fan_out".into(), "x".into()]));
    assert!(used.contains(&vec!["store".into(), "example".into(), "*".into()]));
    assert!(used.contains(&vec!["store".into(), "y".into()]));
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// A cycle through `start`, written out, when there is one.
fn cycle_from(start: &Vec<String>, edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Option<String> {
    let mut stack = vec![(start.clone(), vec![start.join("::")])];
    let mut seen = BTreeSet::new();
    while let Some((node, trail)) = stack.pop() {
        for next in edges.get(&node).into_iter().flatten() {
            if next == start {
                return Some(format!("{} -> {}", trail.join(" -> "), start.join("::")));
            }
            if seen.insert(next.clone()) {
                stack.push((next.clone(), [trail.clone(), vec![next.join("::")]].concat()));
            }
        }
    }
    None
}

/// One file of the library, parsed, with the module path it defines.
struct SourceFile {
    path: PathBuf,
    module: Vec<String>,
    syntax: syn::File,
}

fn source_files() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<SourceFile>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect(root, &path, files);
            continue;
        }
        if path.extension().is_none_or(|extension| extension != "rs") {
            continue;
        }
        let module = module_of(root, &path);
        if module.is_empty() {
            continue; // lib.rs and main.rs declare the modules; they import none.
        }
        let text = std::fs::read_to_string(&path).expect("a source file is readable");
        let syntax = syn::parse_file(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        files.push(SourceFile { path: path.strip_prefix(root.parent().unwrap()).unwrap().into(), module, syntax });
    }
}

/// `src/store/articles.rs` → `store::articles`; `src/store/mod.rs` → `store`.
fn module_of(root: &Path, path: &Path) -> Vec<String> {
    let relative = path.strip_prefix(root).expect("a file under src");
    let mut module: Vec<String> = relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
    let file = module.pop().expect("a file name");
    match file.as_str() {
        "mod.rs" | "lib.rs" | "main.rs" => {}
        other => module.push(other.trim_end_matches(".rs").to_owned()),
    }
    module
}

/// Every path into the crate that `file` uses, as module paths from the crate's root.
fn modules_used(file: &SourceFile) -> Vec<Vec<String>> {
    let mut visitor = Uses { module: file.module.clone(), used: Vec::new() };
    visitor.visit_file(&file.syntax);
    visitor.used
}

/// Collects crate paths, knowing which (inline) module it stands in.
struct Uses {
    module: Vec<String>,
    used: Vec<Vec<String>>,
}

impl Uses {
    /// `segments` resolved against the current module, when they name something of the crate.
    fn resolve(&self, segments: &[String]) -> Option<Vec<String>> {
        match segments.first().map(String::as_str) {
            Some("crate") => Some(segments[1..].to_vec()),
            Some("super") => {
                let ups = segments.iter().take_while(|segment| *segment == "super").count();
                let base = self.module.len().checked_sub(ups)?;
                Some([self.module[..base].to_vec(), segments[ups..].to_vec()].concat())
            }
            _ => None,
        }
    }

    fn note(&mut self, segments: &[String]) {
        if let Some(path) = self.resolve(segments).filter(|path| !path.is_empty()) {
            self.used.push(path);
        }
    }

    fn walk_use(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.walk_use(prefix, &path.tree);
                prefix.pop();
            }
            syn::UseTree::Name(name) => self.note(&[prefix.clone(), vec![name.ident.to_string()]].concat()),
            syn::UseTree::Rename(rename) => self.note(&[prefix.clone(), vec![rename.ident.to_string()]].concat()),
            syn::UseTree::Glob(_) => self.note(&[prefix.clone(), vec!["*".to_owned()]].concat()),
            syn::UseTree::Group(group) => group.items.iter().for_each(|item| self.walk_use(prefix, item)),
        }
    }
}

impl<'ast> Visit<'ast> for Uses {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.walk_use(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|segment| segment.ident.to_string()).collect();
        self.note(&segments);
        syn::visit::visit_path(self, path);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.module.push(item.ident.to_string());
        syn::visit::visit_item_mod(self, item);
        self.module.pop();
    }
}
