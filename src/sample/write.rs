//! Writing the world: `incidents.csv`, `cameras.csv`, `models.csv` and `areas.geojson`.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use geojson::{Feature, Geometry, GeometryValue, JsonObject};
use jiff::civil::Time;
use jiff::tz::TimeZone;

use super::city::Area;
use super::tables::{CATEGORIES, SEVERITIES};
use super::{World, io_err};

pub(super) fn write_incidents(world: &World, path: &Path) -> io::Result<()> {
    let tz = TimeZone::get("Asia/Ho_Chi_Minh").map_err(io_err)?;
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "external_id",
        "occurred_at",
        "category",
        "severity",
        "solved",
        "lon",
        "lat",
        "address",
        "ward",
    ])?;
    // Numbered per year: INC-<year>-000001, … (the span covers two or three years).
    let mut seq_by_year: std::collections::BTreeMap<i16, u32> = std::collections::BTreeMap::new();
    for inc in &world.incidents {
        let date = *world
            .days
            .get(inc.day)
            .ok_or_else(|| io_err("day out of range"))?;
        let hour = i8::try_from(inc.minute / 60).map_err(io_err)?;
        let minute = i8::try_from(inc.minute % 60).map_err(io_err)?;
        let time = Time::new(hour, minute, 0, 0).map_err(io_err)?;
        let zoned = tz
            .to_zoned_datetime(date.to_datetime(time))
            .map_err(io_err)?;
        let year = date.year();
        let seq = seq_by_year.entry(year).or_insert(0);
        *seq += 1;
        w.write_record([
            format!("INC-{year}-{seq:06}").as_str(),
            zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string().as_str(),
            CATEGORIES[inc.category],
            SEVERITIES[inc.severity],
            if inc.solved { "true" } else { "false" },
            format!("{:.6}", inc.lon).as_str(),
            format!("{:.6}", inc.lat).as_str(),
            inc.address.as_str(),
            world.tiling.ward_name(inc.ward),
        ])?;
    }
    w.flush()?;
    Ok(())
}

pub(super) fn write_cameras(world: &World, path: &Path) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "external_id",
        "lon",
        "lat",
        "kind",
        "active",
        "installed_at",
    ])?;
    for (i, c) in world.cameras.iter().enumerate() {
        w.write_record([
            format!("CAM-{:04}", i + 1).as_str(),
            format!("{:.6}", c.lon).as_str(),
            format!("{:.6}", c.lat).as_str(),
            c.kind,
            if c.active { "true" } else { "false" },
            c.installed.to_string().as_str(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

pub(super) fn write_models(world: &World, path: &Path) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "external_id",
        "lon",
        "lat",
        "kind",
        "name",
        "established_at",
        "active",
    ])?;
    for (i, m) in world.models.iter().enumerate() {
        w.write_record([
            format!("MH-{:04}", i + 1).as_str(),
            format!("{:.6}", m.lon).as_str(),
            format!("{:.6}", m.lat).as_str(),
            m.kind,
            m.name.as_str(),
            m.established.to_string().as_str(),
            if m.active { "true" } else { "false" },
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn feature(area: &Area) -> Feature {
    let mut props = JsonObject::new();
    props.insert("code".to_owned(), area.code.clone().into());
    props.insert("name".to_owned(), area.name.clone().into());
    props.insert("kind".to_owned(), area.kind.into());
    if let Some(p) = area.population {
        props.insert("population".to_owned(), p.into());
    }
    Feature {
        bbox: None,
        geometry: Some(Geometry::new(GeometryValue::new_polygon([area
            .ring
            .iter()
            .copied()]))),
        id: None,
        properties: Some(props),
        foreign_members: None,
    }
}

/// One feature per line, so diffs of the committed sample stay readable.
pub(super) fn write_areas(world: &World, path: &Path) -> io::Result<()> {
    let mut out = BufWriter::new(fs::File::create(path)?);
    out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    let areas = world
        .tiling
        .wards
        .iter()
        .chain(&world.tiling.districts)
        .chain(&world.complex);
    for (i, area) in areas.enumerate() {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut out, &feature(area))?;
    }
    out.write_all(b"\n]}\n")?;
    out.flush()
}
