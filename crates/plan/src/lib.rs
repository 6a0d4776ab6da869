//! Visit planning: the highest-priority stops are split between teams by a sweep around their
//! centre (each team gets a contiguous slice of the map), and each team's route is built by
//! nearest neighbour from its most urgent stop, then shortened by 2-opt. Pure and deterministic:
//! the same stops give the same plan.

use serde::Serialize;

/// A place to visit.
#[derive(Debug, Clone, PartialEq)]
pub struct Stop {
    /// Caller's id (a location id).
    pub id: String,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Priority: higher goes first.
    pub priority: f64,
}

/// One team's route: indexes into the stops given, in visiting order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    /// Team number, from 1.
    pub team: usize,
    /// Stops in order (indexes into the input).
    pub stops: Vec<usize>,
    /// Length of the route from first to last stop, km (straight lines).
    pub km: f64,
}

/// Great-circle distance in km.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// Plans `teams` routes of at most `per_team` stops from the highest-priority `stops` (ties by
/// id). Returns one route per team that has stops.
pub fn plan(stops: &[Stop], teams: usize, per_team: usize) -> Vec<Route> {
    if teams == 0 || per_team == 0 || stops.is_empty() {
        return Vec::new();
    }
    let mut chosen: Vec<usize> = (0..stops.len()).collect();
    chosen.sort_by(|&a, &b| {
        stops[b]
            .priority
            .total_cmp(&stops[a].priority)
            .then_with(|| stops[a].id.cmp(&stops[b].id))
    });
    chosen.truncate(teams * per_team);
    let groups = sweep(stops, &chosen, teams, per_team);
    groups
        .into_iter()
        .enumerate()
        .filter(|(_, g)| !g.is_empty())
        .map(|(t, group)| {
            let order = two_opt(stops, nearest_neighbour(stops, &group));
            let km = length(stops, &order);
            Route {
                team: t + 1,
                stops: order,
                km,
            }
        })
        .collect()
}

/// Splits `chosen` into `teams` slices of at most `per_team` by angle around their centre.
fn sweep(stops: &[Stop], chosen: &[usize], teams: usize, per_team: usize) -> Vec<Vec<usize>> {
    let n = chosen.len() as f64;
    let (clat, clon) = chosen.iter().fold((0.0, 0.0), |(a, b), &i| {
        (a + stops[i].lat / n, b + stops[i].lon / n)
    });
    let scale = clat.to_radians().cos();
    let mut by_angle: Vec<(f64, usize)> = chosen
        .iter()
        .map(|&i| {
            let angle = (stops[i].lat - clat).atan2((stops[i].lon - clon) * scale);
            (angle, i)
        })
        .collect();
    by_angle.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    // Even slices: as many stops per team as the chosen allow.
    let per = chosen.len().div_ceil(teams).min(per_team).max(1);
    let mut groups: Vec<Vec<usize>> = by_angle
        .chunks(per)
        .map(|c| c.iter().map(|(_, i)| *i).collect())
        .collect();
    groups.truncate(teams);
    groups
}

/// Visiting order from the group's most urgent stop, always to the nearest unvisited.
fn nearest_neighbour(stops: &[Stop], group: &[usize]) -> Vec<usize> {
    let mut left: Vec<usize> = group.to_vec();
    left.sort_by(|&a, &b| {
        stops[b]
            .priority
            .total_cmp(&stops[a].priority)
            .then_with(|| stops[a].id.cmp(&stops[b].id))
    });
    let mut order = vec![left.remove(0)];
    while !left.is_empty() {
        let last = &stops[*order.last().unwrap_or(&0)];
        let (k, _) = left
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                (
                    k,
                    distance_km((last.lat, last.lon), (stops[i].lat, stops[i].lon)),
                )
            })
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
            .unwrap_or((0, 0.0));
        order.push(left.remove(k));
    }
    order
}

/// Length of an open route, km.
fn length(stops: &[Stop], order: &[usize]) -> f64 {
    order
        .windows(2)
        .map(|w| {
            let (a, b) = (&stops[w[0]], &stops[w[1]]);
            distance_km((a.lat, a.lon), (b.lat, b.lon))
        })
        .sum()
}

/// 2-opt on an open route that keeps its first stop: reverse any segment that shortens it,
/// until none does.
fn two_opt(stops: &[Stop], mut order: Vec<usize>) -> Vec<usize> {
    let d = |a: usize, b: usize| {
        distance_km((stops[a].lat, stops[a].lon), (stops[b].lat, stops[b].lon))
    };
    let n = order.len();
    let mut improved = true;
    let mut rounds = 0;
    while improved && rounds < 100 {
        improved = false;
        rounds += 1;
        for i in 1..n.saturating_sub(1) {
            for j in i + 1..n {
                // Edges (i-1, i) and (j, j+1) become (i-1, j) and (i, j+1).
                let before = d(order[i - 1], order[i])
                    + if j + 1 < n {
                        d(order[j], order[j + 1])
                    } else {
                        0.0
                    };
                let after = d(order[i - 1], order[j])
                    + if j + 1 < n {
                        d(order[i], order[j + 1])
                    } else {
                        0.0
                    };
                if after + 1e-9 < before {
                    order[i..=j].reverse();
                    improved = true;
                }
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop(id: &str, lat: f64, lon: f64, priority: f64) -> Stop {
        Stop {
            id: id.into(),
            lat,
            lon,
            priority,
        }
    }

    #[test]
    fn distances_are_right_at_this_scale() {
        // Birmingham New Street to Wolverhampton station is about 19.3 km as the crow flies.
        let km = distance_km((52.4778, -1.8989), (52.5875, -2.1196));
        assert!((km - 19.3).abs() < 0.5, "{km}");
    }

    #[test]
    fn only_the_most_urgent_are_planned_split_between_teams() {
        let stops: Vec<Stop> = (0..10)
            .map(|i| {
                stop(
                    &format!("s{i}"),
                    52.4 + 0.01 * f64::from(i),
                    -1.9,
                    f64::from(i),
                )
            })
            .collect();
        let routes = plan(&stops, 2, 3);
        assert_eq!(routes.len(), 2);
        let mut sorted: Vec<usize> = routes.iter().flat_map(|r| r.stops.clone()).collect();
        sorted.sort_unstable();
        assert_eq!(sorted, [4, 5, 6, 7, 8, 9], "the six highest priorities");
        assert!(routes.iter().all(|r| r.stops.len() == 3));
    }

    #[test]
    fn two_opt_untangles_a_crossed_route() {
        // A square visited corner to opposite corner crosses itself; 2-opt walks the edge.
        let stops = vec![
            stop("a", 52.0, -2.0, 4.0),
            stop("c", 52.01, -1.99, 1.0),
            stop("b", 52.0, -1.99, 2.0),
            stop("d", 52.01, -2.0, 3.0),
        ];
        let crossed = vec![0, 1, 2, 3];
        let fixed = two_opt(&stops, crossed.clone());
        assert!(length(&stops, &fixed) < length(&stops, &crossed));
        assert_eq!(
            fixed[0], 0,
            "the route still starts at its most urgent stop"
        );
        let routes = plan(&stops, 1, 4);
        assert_eq!(routes[0].stops[0], 0);
        assert!(
            (routes[0].km - length(&stops, &fixed)).abs() < 1e-9
                || routes[0].km <= length(&stops, &fixed)
        );
    }

    #[test]
    fn nothing_to_plan_gives_no_routes() {
        assert!(plan(&[], 3, 4).is_empty());
        assert!(plan(&[stop("a", 52.0, -2.0, 1.0)], 0, 4).is_empty());
    }
}
