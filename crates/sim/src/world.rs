//! The simulated region: controllers, their workers and premises, and their listings over the
//! weeks, written controller by controller so that memory stays flat however many listings.

use lantern_core::Timestamp;
use lantern_geo::Gazetteer;

use crate::model::{
    Capture, Contact, ControllerKind, ControllerTruth, ListingTruth, Location, PremisesTruth,
    Scenario, Sink, Summary,
};
use crate::phones::{Obfuscation, Phone, PhonePool, render};
use crate::rng::Rng;
use crate::text;

const SOURCES: [&str; 3] = ["site-a", "site-b", "site-c"];
const SECONDS_PER_WEEK: u64 = 7 * 24 * 3600;

/// A postcode unit the simulator can place premises at.
struct Spot {
    point: lantern_geo::LatLon,
    postcode: String,
    district: String,
    borough: String,
    place: usize,
}

/// Real places from the bundled gazetteer.
struct Places {
    spots: Vec<Spot>,
    names: Vec<String>,
    /// Main roads with the point of the area each lies in.
    streets: Vec<(String, lantern_geo::LatLon)>,
}

impl Places {
    fn new(gazetteer: &Gazetteer) -> Self {
        let areas = gazetteer.area_names();
        let names: Vec<String> = areas.iter().map(|(n, ..)| (*n).to_owned()).collect();
        let spots = gazetteer
            .units()
            .map(|(postcode, point, borough, _ward)| {
                // The nearest named area stands for the unit's place (flat-earth distance is
                // fine at this scale).
                let scale = point.lat.to_radians().cos();
                let place = areas
                    .iter()
                    .enumerate()
                    .min_by(|(_, a), (_, b)| {
                        let d = |p: &lantern_geo::LatLon| {
                            let (dx, dy) = ((p.lon - point.lon) * scale, p.lat - point.lat);
                            dx * dx + dy * dy
                        };
                        d(&a.2).total_cmp(&d(&b.2))
                    })
                    .map_or(0, |(i, _)| i);
                let district = postcode.split(' ').next().unwrap_or_default().to_owned();
                Spot {
                    point,
                    postcode,
                    district,
                    borough: borough.to_owned(),
                    place,
                }
            })
            .collect();
        let streets = gazetteer
            .streets()
            .into_iter()
            .map(|(name, point)| (name.to_owned(), point))
            .collect();
        Self {
            spots,
            names,
            streets,
        }
    }

    /// A random spot's index.
    fn random(&self, rng: &mut Rng) -> usize {
        rng.below(self.spots.len() as u64) as usize
    }

    /// A random spot in a different place from `away_from` (a place index).
    fn elsewhere(&self, rng: &mut Rng, away_from: usize) -> usize {
        loop {
            let i = self.random(rng);
            if self.spots[i].place != away_from {
                return i;
            }
        }
    }

    fn name(&self, spot: &Spot) -> &str {
        &self.names[spot.place]
    }

    /// A main road within 2 km of the spot, if the list has one.
    fn street_near(&self, rng: &mut Rng, spot: &Spot) -> Option<&str> {
        let near: Vec<&str> = self
            .streets
            .iter()
            .filter(|(_, point)| point.distance_m(spot.point) < 2_000.0)
            .map(|(name, _)| name.as_str())
            .collect();
        (!near.is_empty()).then(|| *rng.pick(&near))
    }
}

/// One worker.
struct Worker {
    id: u64,
    name: &'static str,
    age: u32,
    images: Vec<String>,
}

/// Everything one controller's adverts share.
struct Controller {
    id: u64,
    kind: ControllerKind,
    phones: Vec<Phone>,
    email: Option<String>,
    /// Shared base template index, if the adverts come from a shared ad-writer.
    base_template: Option<usize>,
    fresh_text: bool,
    own_template: &'static str,
    venue: &'static str,
    voice: Vec<&'static str>,
    price: u32,
}

/// A planned listing before it is written.
struct Plan<'a> {
    worker: &'a Worker,
    premises: u64,
    spot: &'a Spot,
    first_week: u32,
    last_week: u32,
    tour: bool,
}

/// Runs a scenario, sending every record to `sink`.
pub fn simulate(
    scenario: &Scenario,
    gazetteer: &Gazetteer,
    sink: &mut dyn Sink,
) -> std::io::Result<Summary> {
    let places = Places::new(gazetteer);
    let mut world = World {
        scenario,
        places: &places,
        rng: Rng::new(scenario.seed),
        phones: PhonePool::new(Rng::new(scenario.seed ^ 0x005e_ed0f_9ead)),
        summary: Summary::default(),
        next_worker: 0,
        next_premises: 0,
        next_id: [0; 3],
        last_independent_phone: None,
        stock_images: (0..20)
            .map(|k| {
                format!(
                    "phash:{:016x}",
                    Rng::new(scenario.seed ^ 0x0057_00c4 ^ k).next_u64()
                )
            })
            .collect(),
    };
    let total: f64 = scenario.mix.independent + scenario.mix.venue + scenario.mix.network;
    let shares = [
        scenario.mix.independent / total,
        scenario.mix.venue / total,
        scenario.mix.network / total,
    ];
    let mut controller_id = 0;
    while world.summary.listings < scenario.listings {
        // Pick the kind furthest behind its share of listings so far.
        let written = world.summary.listings.max(1) as f64;
        let kind_index = (0..3)
            .max_by(|&a, &b| {
                let lag = |k: usize| shares[k] - world.summary.listings_by_kind[k] as f64 / written;
                lag(a).total_cmp(&lag(b))
            })
            .unwrap_or(0);
        let kind = [
            ControllerKind::Independent,
            ControllerKind::Venue,
            ControllerKind::Network,
        ][kind_index];
        controller_id += 1;
        let mut rng = world.rng.fork(controller_id);
        world.controller(controller_id, kind, &mut rng, sink)?;
    }
    world.summary.random_phone_numbers = world.phones.used_random_numbers();
    Ok(world.summary)
}

struct World<'a> {
    scenario: &'a Scenario,
    places: &'a Places,
    rng: Rng,
    phones: PhonePool,
    summary: Summary,
    next_worker: u64,
    next_premises: u64,
    next_id: [u64; 3],
    /// The latest independent's phone, which the next may share.
    last_independent_phone: Option<Phone>,
    /// Stock pictures used across unrelated advertisers.
    stock_images: Vec<String>,
}

impl World<'_> {
    fn left(&self) -> u64 {
        self.scenario.listings - self.summary.listings
    }

    fn worker(&mut self, rng: &mut Rng) -> Worker {
        self.next_worker += 1;
        Worker {
            id: self.next_worker,
            name: rng.pick::<&str>(text::NAMES),
            age: rng.range(19, 45) as u32,
            images: (0..rng.range(2, 4))
                .map(|_| format!("phash:{:016x}", rng.next_u64()))
                .collect(),
        }
    }

    fn premises(
        &mut self,
        controller: u64,
        kind: &'static str,
        spot_index: usize,
        weeks: (u32, u32),
        sink: &mut dyn Sink,
    ) -> std::io::Result<u64> {
        let spot = &self.places.spots[spot_index];
        self.next_premises += 1;
        self.summary.premises += 1;
        sink.premises(&PremisesTruth {
            premises: self.next_premises,
            controller,
            kind,
            postcode: spot.postcode.clone(),
            place: self.places.name(spot).to_owned(),
            borough: spot.borough.clone(),
            first_week: weeks.0,
            last_week: weeks.1,
        })?;
        Ok(self.next_premises)
    }

    fn span(&self, rng: &mut Rng, min: u32, max: u32) -> (u32, u32) {
        let weeks = self.scenario.weeks;
        let len = (rng.range(u64::from(min), u64::from(max)) as u32).clamp(1, weeks);
        let first = rng.below(u64::from(weeks - len + 1)) as u32;
        (first, first + len - 1)
    }

    fn controller(
        &mut self,
        id: u64,
        kind: ControllerKind,
        rng: &mut Rng,
        sink: &mut dyn Sink,
    ) -> std::io::Result<()> {
        let hard = &self.scenario.hard;
        let phone_count = match kind {
            ControllerKind::Independent => 1 + u64::from(rng.chance(0.1)),
            ControllerKind::Venue => rng.range(1, 2),
            ControllerKind::Network => rng.range(3, 6),
        };
        let mut phones: Vec<Phone> = (0..phone_count).map(|_| self.phones.issue()).collect();
        let mut shared_phone = false;
        if kind == ControllerKind::Independent {
            if let Some(other) = self.last_independent_phone.take()
                && rng.chance(hard.shared_phone)
            {
                phones[0] = other;
                shared_phone = true;
            }
            self.last_independent_phone = Some(phones[0].clone());
        }
        let shared = kind != ControllerKind::Independent && rng.chance(hard.shared_template);
        let fresh_text =
            kind == ControllerKind::Network && !shared && rng.chance(hard.fresh_text_network);
        let (own_template, venue) = match kind {
            ControllerKind::Venue => text::house(rng),
            _ => (text::network_template(rng), ""),
        };
        let mut controller = Controller {
            id,
            kind,
            phones,
            email: None,
            base_template: shared.then(|| rng.below(text::base_template_count() as u64) as usize),
            fresh_text,
            own_template,
            venue,
            voice: text::own_voice(rng),
            price: match kind {
                ControllerKind::Network => rng.range(40, 70) as u32,
                _ => rng.range(80, 160) as u32,
            },
        };

        let mut plans_workers: Vec<Worker> = Vec::new();
        let mut plans: Vec<(usize, u64, usize, u32, u32, bool)> = Vec::new();
        match kind {
            ControllerKind::Independent => {
                let worker = self.worker(rng);
                let slug = worker.name.to_lowercase();
                if rng.chance(0.5) {
                    controller.email = Some(format!("{slug}{}@example.com", worker.id));
                }
                plans_workers.push(worker);
                let home = self.places.random(rng);
                let span = self.span(rng, 2, self.scenario.weeks);
                let premises = self.premises(id, "home", home, span, sink)?;
                plans.push((0, premises, home, span.0, span.1, false));
                if rng.chance(hard.tour) {
                    let away = self.places.elsewhere(rng, self.places.spots[home].place);
                    let week = span.0 + rng.below(u64::from(span.1 - span.0 + 1)) as u32;
                    let kind = if rng.chance(0.5) {
                        "hotel"
                    } else {
                        "short_let"
                    };
                    let premises = self.premises(id, kind, away, (week, week), sink)?;
                    plans.push((0, premises, away, week, week, true));
                }
            }
            ControllerKind::Venue => {
                // Venue names repeat across towns; their addresses do not.
                controller.email = Some(format!(
                    "bookings@{}{id}.example",
                    controller
                        .venue
                        .to_lowercase()
                        .replace([' ', '&', '\''], "")
                ));
                let spot_index = self.places.random(rng);
                let span = self.span(rng, self.scenario.weeks / 2 + 1, self.scenario.weeks);
                let premises = self.premises(id, "venue", spot_index, span, sink)?;
                for _ in 0..rng.range(3, 8) {
                    let w = plans_workers.len();
                    plans_workers.push(self.worker(rng));
                    let (a, b) = self.span(rng, 1, span.1 - span.0 + 1);
                    plans.push((
                        w,
                        premises,
                        spot_index,
                        span.0 + a.min(span.1 - span.0),
                        (span.0 + b).min(span.1),
                        false,
                    ));
                }
            }
            ControllerKind::Network => {
                let mut earlier: Vec<(u64, usize)> = Vec::new();
                for _ in 0..rng.range(3, 8) {
                    let w = plans_workers.len();
                    let mut worker = self.worker(rng);
                    // Images reused under different names.
                    if let Some(other) = plans_workers.last()
                        && rng.chance(0.5)
                    {
                        worker.images[0].clone_from(&other.images[0]);
                    }
                    plans_workers.push(worker);
                    // Moved between short-lets and hotels in different towns every one to three
                    // weeks.
                    let mut week = rng.below(u64::from(self.scenario.weeks)) as u32;
                    let mut last_place = usize::MAX;
                    while week < self.scenario.weeks && plans.len() < 60 {
                        let stay = rng.range(1, 3) as u32;
                        let end = (week + stay - 1).min(self.scenario.weeks - 1);
                        let reuse = earlier
                            .iter()
                            .copied()
                            .filter(|&(_, s)| self.places.spots[s].place != last_place)
                            .nth(rng.below(4) as usize)
                            .filter(|_| rng.chance(0.3));
                        let (premises, spot_index) = match reuse {
                            Some(found) => found,
                            None => {
                                let s = if last_place == usize::MAX {
                                    self.places.random(rng)
                                } else {
                                    self.places.elsewhere(rng, last_place)
                                };
                                let kind = if rng.chance(0.5) {
                                    "hotel"
                                } else {
                                    "short_let"
                                };
                                let p = self.premises(id, kind, s, (week, end), sink)?;
                                earlier.push((p, s));
                                (p, s)
                            }
                        };
                        last_place = self.places.spots[spot_index].place;
                        plans.push((w, premises, spot_index, week, end, false));
                        week = end + 1;
                    }
                }
            }
        }

        let mut listings = 0_u32;
        for (w, premises, spot_index, first_week, last_week, tour) in plans {
            if self.left() == 0 {
                break;
            }
            let plan = Plan {
                worker: &plans_workers[w],
                premises,
                spot: &self.places.spots[spot_index],
                first_week,
                last_week,
                tour,
            };
            listings += self.listing(&controller, &plan, rng, sink)?;
        }
        let k = kind_index(kind);
        self.summary.controllers[k] += 1;
        sink.controller(&ControllerTruth {
            controller: id,
            kind,
            exploitative: kind == ControllerKind::Network,
            workers: plans_workers.len() as u32,
            phones: controller
                .phones
                .iter()
                .map(Phone::e164)
                .collect::<Vec<_>>()
                .join(";"),
            shared_phone,
            listings,
        })
    }

    /// Writes one listing (and its cross-posts): returns how many listings were written.
    fn listing(
        &mut self,
        controller: &Controller,
        plan: &Plan<'_>,
        rng: &mut Rng,
        sink: &mut dyn Sink,
    ) -> std::io::Result<u32> {
        let hard = &self.scenario.hard;
        let worker = plan.worker;
        let place = self.places.name(plan.spot).to_owned();
        let phone = rng.pick(&controller.phones).clone();
        let network = controller.kind == ControllerKind::Network;
        let in_contact = !rng.chance(if network {
            hard.phone_only_in_body * 2.0
        } else {
            hard.phone_only_in_body
        });
        let obscured_rate = if network {
            hard.obscured_phone * 3.0
        } else {
            hard.obscured_phone
        };
        let body_phone = if !in_contact || rng.chance(0.6) {
            Some(if rng.chance(obscured_rate) {
                *rng.pick(&Obfuscation::ALL[1..])
            } else {
                *rng.pick(&[Obfuscation::Plain, Obfuscation::International])
            })
        } else {
            None
        };
        let rendered_phone = body_phone.map(|how| render(&phone, how, rng));
        let age = worker.age.to_string();
        let price = format!("£{}", controller.price);
        let mut slots: Vec<(&str, &str)> = vec![
            ("name", worker.name),
            ("age", &age),
            ("place", &place),
            ("venue", controller.venue),
            ("price", &price),
        ];
        let phone_text = rendered_phone.clone().unwrap_or_default();
        slots.push(("phone", &phone_text));
        let mut body = if let Some(b) = controller.base_template {
            text::fill(text::base_template(b), &slots)
        } else if controller.fresh_text {
            text::fresh_text(rng, worker.name, worker.age, &place)
        } else {
            match controller.kind {
                ControllerKind::Independent => {
                    let mut parts = vec![format!("Hi, I'm {}, {}.", worker.name, worker.age)];
                    parts.extend(controller.voice.iter().map(|s| (*s).to_owned()));
                    if plan.tour {
                        parts.push(format!("Visiting {place} this week only, new in town!"));
                    } else {
                        parts.push(format!("Incall in {place}."));
                    }
                    parts.join(" ")
                }
                _ => text::fill(controller.own_template, &slots),
            }
        };
        let template_has_phone = controller.base_template.is_none()
            && !controller.fresh_text
            && controller.kind == ControllerKind::Network;
        if let Some(p) = &rendered_phone
            && !template_has_phone
        {
            body.push_str(&format!(" Call {p}."));
        }
        if controller.kind != ControllerKind::Network
            && rng.chance(0.2)
            && let Some(street) = self.places.street_near(rng, plan.spot)
        {
            body.push_str(&format!(" Just off {street}."));
        }
        let decoy_postcode = &plan.spot.district;
        body.push(' ');
        body.push_str(&text::decoys(
            rng,
            controller.price,
            worker.age,
            decoy_postcode,
        ));
        let title = if plan.tour {
            format!("{} visiting {place}", worker.name)
        } else {
            format!("{} in {place}", worker.name)
        };
        let contact = Contact {
            phone: in_contact.then(|| phone.display()),
            email: controller.email.clone(),
        };
        let location = Location {
            text: place.clone(),
            postcode: rng.chance(0.6).then(|| plan.spot.district.clone()),
        };

        let mut images = worker.images.clone();
        let stock = rng.chance(hard.stock_image);
        if stock {
            images.push(rng.pick(&self.stock_images).clone());
        }
        let copies = if rng.chance(hard.cross_post) {
            rng.range(2, 3)
        } else {
            1
        };
        let first_source = rng.below(SOURCES.len() as u64) as usize;
        let mut original = String::new();
        let mut written = 0;
        for copy in 0..copies {
            if self.left() == 0 {
                break;
            }
            let s = (first_source + copy as usize) % SOURCES.len();
            self.next_id[s] += 1;
            let source = SOURCES[s];
            let external_id = format!("{}{}", &source[5..], self.next_id[s]);
            let mut capture = Capture {
                source: source.to_owned(),
                external_id: external_id.clone(),
                captured_at: String::new(),
                url: format!("https://{source}.example/ad/{external_id}"),
                title: title.clone(),
                body: body.clone(),
                poster: worker.name.to_owned(),
                contact: contact.clone(),
                location: location.clone(),
                age: age.clone(),
                rates: format!("£{} 1hr", controller.price + controller.price / 2),
                images: images.clone(),
            };
            let (captures, edited) = self.captures(&mut capture, plan, rng, sink)?;
            let truth = ListingTruth {
                source: source.to_owned(),
                external_id: external_id.clone(),
                controller: controller.id,
                controller_kind: controller.kind,
                worker: worker.id,
                premises: plan.premises,
                exploitative: controller.kind == ControllerKind::Network,
                phones: phone.e164(),
                emails: controller.email.clone().unwrap_or_default(),
                body_phone: body_phone.map_or("none", Obfuscation::name).to_owned(),
                phone_in_contact_field: in_contact,
                cross_post_of: original.clone(),
                base_template: controller
                    .base_template
                    .map(|b| format!("base-{b}"))
                    .unwrap_or_default(),
                fresh_text: controller.fresh_text,
                tour: plan.tour,
                stock_image: stock,
                first_week: plan.first_week,
                last_week: plan.last_week,
                captures,
                edited_captures: edited,
            };
            sink.listing(&truth)?;
            if copy == 0 {
                original = format!("{source}/{external_id}");
            }
            if let Some(how) = body_phone {
                self.summary.count_obfuscation(how);
            }
            self.summary.listings += 1;
            self.summary.listings_by_kind[kind_index(controller.kind)] += 1;
            written += 1;
        }
        Ok(written)
    }

    /// Writes a listing's captures: one in its first week, then each later week with even odds,
    /// sometimes after a small edit. Returns (captures, edited captures).
    fn captures(
        &mut self,
        capture: &mut Capture,
        plan: &Plan<'_>,
        rng: &mut Rng,
        sink: &mut dyn Sink,
    ) -> std::io::Result<(u32, u32)> {
        let (mut count, mut edited) = (0, 0);
        let mut was_edited = false;
        for week in plan.first_week..=plan.last_week {
            if week > plan.first_week && !rng.chance(0.5) {
                continue;
            }
            if count > 0
                && rng.chance(self.scenario.hard.edited_recapture)
                && let Some(changed) = text::edit(rng, &capture.body)
            {
                capture.body = changed;
                was_edited = true;
            }
            let offset = u64::from(week) * SECONDS_PER_WEEK + rng.below(SECONDS_PER_WEEK);
            capture.captured_at = self
                .scenario
                .start
                .plus_seconds(offset as i64)
                .map(Timestamp::to_rfc3339)
                .map_err(|e| std::io::Error::other(format!("capture time: {e}")))?;
            sink.capture(capture)?;
            count += 1;
            edited += u32::from(was_edited);
            self.summary.captures += 1;
        }
        Ok((count, edited))
    }
}

fn kind_index(kind: ControllerKind) -> usize {
    match kind {
        ControllerKind::Independent => 0,
        ControllerKind::Venue => 1,
        ControllerKind::Network => 2,
    }
}
