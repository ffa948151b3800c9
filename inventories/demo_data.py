"""Realistic, fictional inventories for demos, tests and benchmarks.

Sized on public figures: an average Danish municipality runs 150–200 IT systems, has two
physical networks (administrative and pedagogical), one or two AD domains and a few
hundred mostly virtual servers; three municipalities of ~129,000 inhabitants together
have ~13,000 users. Applications of the same function (ESDH, payroll, finance, library)
differ between municipalities, which is exactly what consolidation harmonises.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inventories.schema import SHEETS
from inventories.template import write_workbook

NAMES = [
    ("Nordby", "NB", "DK"),
    ("Sydby", "SY", "DK"),
    ("Østerå", "OA", "DK"),
    ("Vesterlund", "VL", "DK"),
    ("Åbyhøj", "AH", "DK"),
    ("Strandköping", "SK", "SE"),
    ("Bjørnholm", "BH", "DK"),
    ("Lindås", "LA", "SE"),
    ("Havsvik", "HV", "SE"),
    ("Egeskov", "EG", "DK"),
    ("Älvsjö", "AS", "SE"),
    ("Mølleby", "MB", "DK"),
]

#: function -> the systems different municipalities use for it (vendor, name)
CATALOGUE: dict[str, list[tuple[str, str]]] = {
    "ESDH": [
        ("Netcompany", "SBSYS"),
        ("Formpipe", "Acadre"),
        ("Netcompany", "WorkZone"),
        ("Tieto", "Public 360"),
    ],
    "payroll": [
        ("KMD", "KMD Løn"),
        ("Silkeborg Data", "SD Løn"),
        ("Visma", "Visma Lön"),
        ("CGI", "Personec P"),
    ],
    "finance": [
        ("KMD", "KMD Opus Økonomi"),
        ("Fujitsu", "Prisme"),
        ("Unit4", "Unit4 Ekonomi"),
        ("CGI", "Raindance"),
    ],
    "library": [("DBC", "Cicero"), ("KMD", "FBS"), ("Axiell", "Quria")],
    "school": [
        ("Netcompany", "Aula"),
        ("Meebook", "Meebook"),
        ("EG", "Tabulex"),
        ("Skolon", "Skolon"),
    ],
    "care": [
        ("Systematic", "Nexus"),
        ("Systematic", "Cura"),
        ("Tieto", "Lifecare"),
        ("CGI", "Treserva"),
    ],
    "building": [("Netcompany", "BOM"), ("EG", "Byg og Miljø"), ("Sokigo", "Castor")],
    "GIS": [("Esri", "ArcGIS Enterprise"), ("Septima", "Septima Widget"), ("Sokigo", "Geosecma")],
    "HR": [("Emply", "Emply Hire"), ("Visma", "HR-Manager"), ("Varbi", "Varbi")],
    "citizen services": [("KMD", "KMD Nova"), ("Netcompany", "Serviceplatformen")],
    "jobcentre": [("KMD", "KMD Momentum"), ("Netcompany", "Fasit")],
    "childcare": [
        ("KMD", "KMD Institution"),
        ("EG", "Tabulex Pladsanvisning"),
        ("Procapita", "Procapita"),
    ],
}
OTHER_FUNCTIONS = [
    "infrastructure",
    "printing",
    "backup",
    "monitoring",
    "archive",
    "intranet",
    "web",
    "integration",
    "identity",
    "telephony",
    "parking",
    "waste",
    "technical",
    "culture",
    "health",
]
SYSTEM_WORDS = [
    "Portal",
    "Booking",
    "Registrering",
    "Indberetning",
    "Sagsflow",
    "Tilsyn",
    "Visitation",
    "Planlægning",
    "Ärende",
    "Statistik",
    "Arkiv",
    "Journal",
    "Tidsregistrering",
    "Ekonomistyring",
]
OS_CHOICES = [
    ("Windows Server", "2019", 40),
    ("Windows Server", "2022", 25),
    ("Windows Server", "2016", 15),
    ("Windows Server", "2012 R2", 8),
    ("Windows Server", "2008 R2", 2),
    ("Red Hat Enterprise Linux", "8", 5),
    ("Ubuntu", "22.04", 3),
    ("CentOS", "7", 2),
]
FIRST_NAMES = ["Anne", "Søren", "Åsa", "Björn", "Mette", "Jørgen", "Karin", "Lærke"]
LAST_NAMES = ["Hansen", "Nielsen", "Lindqvist", "Østergaard", "Åberg", "Jensen"]
SITE_KINDS = [("Rådhus", "town_hall"), ("Jobcenter", "jobcentre")]


@dataclass
class Generated:
    """One municipality's sheets as rows in template column order."""

    name: str
    rows: dict[str, list[list[Any]]] = field(default_factory=dict)


def _row(sheet: str, **values: Any) -> list[Any]:
    columns = next(s for s in SHEETS if s.name == sheet).columns
    unknown = set(values) - {c.name for c in columns}
    assert not unknown, unknown
    return [values.get(c.name) for c in columns]


def generate(count: int, seed: int = 1) -> list[Generated]:
    """`count` municipalities; the first one's core systems are the consolidation targets."""
    rng = random.Random(seed)
    names = list(NAMES)
    while len(names) < count:
        base, code, country = NAMES[len(names) % len(NAMES)]
        names.append((f"{base} {len(names) // len(NAMES) + 1}", f"{code}{len(names)}", country))
    lead = names[0][0]
    lead_systems = {function: systems[0][1] for function, systems in CATALOGUE.items()}
    return [_municipality(rng, index, *names[index], lead, lead_systems) for index in range(count)]


def _municipality(
    rng: random.Random,
    index: int,
    name: str,
    code: str,
    country: str,
    lead: str,
    lead_systems: dict[str, str],
) -> Generated:
    """One municipality; the helpers run in a fixed order because they share `rng`.

    Changing the order of the calls (or of the draws inside them) changes every generated
    inventory, and with it the demo's plan and the figures in the docs.
    """
    out = Generated(name)
    population = rng.randint(30_000, 70_000)
    users = population // 10
    out.rows["Municipality"] = [
        _row(
            "Municipality",
            name=name,
            code=f"{700 + index:04d}",
            employees=round(population * 0.075),
            users=users,
            country=country,
        )
    ]
    systems = _Systems(rng, code, users)
    out.rows["Directories"] = _directories(systems)
    out.rows["Networks"] = _networks(index, code)
    sites = _sites(rng, code, users)
    out.rows["Sites"] = sites
    # Infrastructure servers that run no application (file, print, domain controllers).
    for role in ("DC", "DC", "FIL", "PRT", "BAK"):
        systems.add_server(role, f"{code}-ADM", systems.domain, "high")
    systems.add_server("DC", f"{code}-PÆD", systems.edu_domain, "high")
    _catalogue_apps(systems, index, lead, lead_systems)
    _other_apps(systems)
    out.rows["Servers"] = systems.servers
    out.rows["Applications"] = systems.apps
    workplaces = _workplaces(rng, sites, systems)
    out.rows["Workplaces"] = workplaces
    out.rows["Dependencies"] = _dependencies(systems, workplaces, index, lead, lead_systems)
    return out


def _directories(systems: _Systems) -> list[list[Any]]:
    """An administrative and a school domain in one forest, sized by the users."""
    users, domain = systems.users, systems.domain
    return [
        _row(
            "Directories",
            name=domain,
            type="active_directory",
            forest=domain,
            user_accounts=users,
            computer_accounts=users // 2,
        ),
        _row(
            "Directories",
            name=systems.edu_domain,
            type="active_directory",
            forest=domain,
            user_accounts=users * 2,
            computer_accounts=users,
        ),
    ]


def _networks(index: int, code: str) -> list[list[Any]]:
    """Administrative and pedagogical nets and a DMZ.

    Two neighbours share 10.200.0.0/16 on their pedagogical nets, as happens in real
    consolidations, so the overlap check has something to find.
    """
    peda = "10.200.0.0/16" if index in (1, 2) else f"10.{100 + index}.0.0/16"
    return [
        _row(
            "Networks",
            name=f"{code}-ADM",
            kind="administrative",
            cidr=f"10.{index}.0.0/16",
            vlan=10,
            site="Rådhus",
            bandwidth_mbps=1000,
        ),
        _row(
            "Networks",
            name=f"{code}-PÆD",
            kind="pedagogical",
            cidr=peda,
            vlan=20,
            bandwidth_mbps=1000,
        ),
        _row(
            "Networks",
            name=f"{code}-DMZ",
            kind="dmz",
            cidr=f"172.16.{index}.0/24",
            vlan=30,
            site="Rådhus",
        ),
    ]


def _sites(rng: random.Random, code: str, users: int) -> list[list[Any]]:
    """Town hall, job centre, 12–18 schools and 15–25 institutions."""
    sites = [
        _row("Sites", name="Rådhus", type="town_hall", network=f"{code}-ADM", users=users // 3),
        _row("Sites", name="Jobcenter", type="jobcentre", network=f"{code}-ADM", users=users // 20),
    ]
    for school in range(rng.randint(12, 18)):
        prefix = rng.choice(["Nord", "Syd", "Øst", "Vest", "Bakke", "Sø", "Skov"])
        sites.append(
            _row(
                "Sites",
                name=f"{prefix}skolen {school + 1}",
                type="school",
                network=f"{code}-PÆD",
                users=rng.randint(200, 700),
            )
        )
    for inst in range(rng.randint(15, 25)):
        sites.append(
            _row(
                "Sites",
                name=f"Institution {inst + 1:02d}",
                type="institution",
                network=f"{code}-ADM",
                users=rng.randint(10, 60),
            )
        )
    return sites


class _Systems:
    """The servers and applications of one municipality as they are drawn.

    Applications add their servers as they go, so server numbers follow the order of the
    applications; `app_meta` keeps what the dependencies are drawn from.
    """

    def __init__(self, rng: random.Random, code: str, users: int) -> None:
        self.rng, self.code, self.users = rng, code, users
        self.domain = f"{code.lower()}.local"
        self.edu_domain = f"skole.{code.lower()}.local"
        self.servers: list[list[Any]] = []
        self.server_names: list[str] = []
        self.apps: list[list[Any]] = []
        self.app_names: list[str] = []
        self.app_meta: list[dict[str, Any]] = []

    def add_server(self, role: str, network: str, directory: str, crit: str) -> str:
        """A server row with a weighted OS, mostly virtual, mostly production."""
        rng, code = self.rng, self.code
        os_name, os_version, _ = rng.choices(OS_CHOICES, weights=[w for *_, w in OS_CHOICES])[0]
        server = f"{code}-{role}-{len(self.server_names) + 1:03d}"
        virtual = rng.random() < 0.9
        self.servers.append(
            _row(
                "Servers",
                name=server,
                os=os_name,
                os_version=os_version,
                virtual="yes" if virtual else "no",
                host=f"{code.lower()}esx{rng.randint(1, 12):02d}" if virtual else None,
                cluster=f"{code}-CL{rng.randint(1, 2)}" if virtual else None,
                vcpu=rng.choice([2, 2, 4, 4, 4, 8, 8, 16]),
                ram_gb=rng.choice([4, 8, 8, 16, 16, 32, 64]),
                storage_gb=rng.choice([60, 100, 200, 500, 1000]),
                network=network,
                directory=directory,
                environment=rng.choices(["prod", "test", "dev"], weights=[75, 18, 7])[0],
                criticality=crit,
                site="Rådhus",
                ip=None,
                owner="Drift",
            )
        )
        self.server_names.append(server)
        return server

    def add_app(
        self,
        system: str,
        vendor: str,
        function: str,
        strategy: str,
        target: str | None,
        crit: str,
        school: bool = False,
    ) -> None:
        """An application with 1–3 servers of its own (none for SaaS), sometimes a SQL server."""
        rng, code = self.rng, self.code
        directory = self.edu_domain if school else self.domain
        servers_for = (
            [
                self.add_server("APP", f"{code}-PÆD" if school else f"{code}-ADM", directory, crit)
                for _ in range(rng.choice([1, 1, 1, 2, 2, 3]))
            ]
            if strategy not in ("saas",)
            else []
        )
        if strategy not in ("saas",) and rng.random() < 0.3:
            servers_for.append(self.add_server("SQL", f"{code}-ADM", self.domain, crit))
        self.apps.append(
            _row(
                "Applications",
                name=system,
                function=function,
                vendor=vendor,
                version=f"{rng.randint(1, 12)}.{rng.randint(0, 9)}",
                criticality=crit,
                users=rng.randint(5, self.users),
                strategy=strategy,
                target=target,
                servers=", ".join(servers_for) or None,
                directory=directory,
                owner=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                effort_hours=rng.choice([None, None, 8, 16, 24, 40]),
                downtime_hours=rng.choice([None, 2, 4, 8]),
                blackout=_blackout(function, school),
            )
        )
        self.app_names.append(system)
        self.app_meta.append({"strategy": strategy, "school": school, "function": function})


def _blackout(function: str, school: bool) -> str | None:
    """Payroll runs, the year-end close and the school start are no time to move."""
    if function == "payroll":
        return "2027-01-25..2027-02-02, 2027-06-24..2027-07-02"
    if function == "finance":
        return "2027-01-01..2027-01-20"
    if school:
        return "2027-08-02..2027-08-20"
    return None


def _catalogue_apps(systems: _Systems, index: int, lead: str, lead_systems: dict[str, str]) -> None:
    """One system per catalogue function; the others consolidate into the lead's systems."""
    rng = systems.rng
    for function, choices in CATALOGUE.items():
        vendor, system = choices[index % len(choices)] if index else choices[0]
        crit = (
            "critical"
            if function in ("payroll", "care", "ESDH")
            else rng.choice(["medium", "high"])
        )
        if index == 0 or system == lead_systems[function]:
            strategy, target = "rehost", None
        else:
            strategy = (
                "consolidate"
                if function in ("ESDH", "payroll", "finance", "library")
                else rng.choice(["rehost", "replatform", "consolidate"])
            )
            target = f"{lead}/{lead_systems[function]}" if strategy == "consolidate" else None
        systems.add_app(
            system, vendor, function, strategy, target, crit, school=function == "school"
        )


def _other_apps(systems: _Systems) -> None:
    """Local systems until the municipality has 150–190 applications."""
    rng = systems.rng
    total_apps = rng.randint(150, 190)
    while len(systems.app_names) < total_apps:
        function = rng.choice(OTHER_FUNCTIONS)
        system = f"{rng.choice(SYSTEM_WORDS)} {function.title()} {len(systems.app_names) + 1}"
        strategy = rng.choices(
            ["rehost", "replatform", "retire", "retain", "saas"], weights=[60, 15, 8, 7, 10]
        )[0]
        vendor = rng.choice(["KMD", "EG", "Netcompany", "Tieto", "CGI", "Visma", "Lokal"])
        crit = rng.choices(["low", "medium", "high", "critical"], weights=[30, 45, 20, 5])[0]
        systems.add_app(system, vendor, function, strategy, None, crit, school=rng.random() < 0.15)


def _workplaces(rng: random.Random, sites: list[list[Any]], systems: _Systems) -> list[list[Any]]:
    """One PC group per site, six departments at the town hall."""
    workplaces = []
    for site in sites:
        site_name, site_type, site_net = site[0], site[1], site[2]
        for group in range(1 if site_type != "town_hall" else 6):
            pcs = rng.randint(10, 80) if site_type != "school" else rng.randint(40, 120)
            label = (
                f"{site_name}" if site_type != "town_hall" else f"{site_name} afdeling {group + 1}"
            )
            workplaces.append(
                _row(
                    "Workplaces",
                    name=label,
                    site=site_name,
                    pcs=pcs,
                    users=int(pcs * 1.3),
                    os=rng.choice(["Windows 10", "Windows 11", "Windows 11"]),
                    directory=systems.edu_domain if site_type == "school" else systems.domain,
                    network=site_net,
                )
            )
    return workplaces


def _dependencies(
    systems: _Systems,
    workplaces: list[list[Any]],
    index: int,
    lead: str,
    lead_systems: dict[str, str],
) -> list[list[Any]]:
    """The Dependencies sheet, drawn in a fixed order (see `_municipality`)."""
    movable = [i for i, meta in enumerate(systems.app_meta) if meta["strategy"] not in ("retain",)]
    deps = _application_dependencies(systems, movable)
    deps += _hard_pairs(systems, movable)
    deps += _workplace_dependencies(systems, workplaces, movable)
    deps += _server_networks(systems)
    if index > 0:
        # Cross-municipality integrations towards the lead municipality's shared systems.
        for function in ("ESDH", "finance"):
            deps.append(
                _row(
                    "Dependencies",
                    from_kind="application",
                    from_name=systems.app_names[list(CATALOGUE).index(function)],
                    to_kind="application",
                    to_name=lead_systems[function],
                    to_municipality=lead,
                    kind="integrates_with",
                    strength="soft",
                    note="shared integration platform",
                )
            )
    return deps


def _application_dependencies(systems: _Systems, movable: list[int]) -> list[list[Any]]:
    """Each moved application's directory, soft integrations and a `uses` towards an earlier one."""
    rng, names, meta = systems.rng, systems.app_names, systems.app_meta
    deps: list[list[Any]] = []
    for i in movable:
        deps.append(
            _row(
                "Dependencies",
                from_kind="application",
                from_name=names[i],
                to_kind="directory",
                to_name=systems.edu_domain if meta[i]["school"] else systems.domain,
                kind="authenticates_with",
            )
        )
        # soft integrations between systems (split = temporary link between platforms)
        for j in rng.sample(movable, k=min(len(movable), rng.randint(1, 5))):
            if j != i:
                deps.append(
                    _row(
                        "Dependencies",
                        from_kind="application",
                        from_name=names[i],
                        to_kind="application",
                        to_name=names[j],
                        kind="integrates_with",
                        strength="soft",
                        note="nightly file transfer",
                    )
                )
        # uses: only towards earlier apps, so these rules never form a loop
        earlier = [j for j in movable if j < i and meta[j]["strategy"] != "retire"]
        if earlier and rng.random() < 0.5 and meta[i]["strategy"] != "retire":
            deps.append(
                _row(
                    "Dependencies",
                    from_kind="application",
                    from_name=names[i],
                    to_kind="application",
                    to_name=names[rng.choice(earlier)],
                    kind="uses",
                )
            )
    return deps


def _hard_pairs(systems: _Systems, movable: list[int]) -> list[list[Any]]:
    """Three pairs sharing a database: hard integrations that must move together."""
    names, meta = systems.app_names, systems.app_meta
    deps: list[list[Any]] = []
    hard_pairs = systems.rng.sample(movable, k=6)
    for a, b in zip(hard_pairs[::2], hard_pairs[1::2]):
        if "retire" not in (meta[a]["strategy"], meta[b]["strategy"]):
            deps.append(
                _row(
                    "Dependencies",
                    from_kind="application",
                    from_name=names[a],
                    to_kind="application",
                    to_name=names[b],
                    kind="integrates_with",
                    strength="hard",
                    note="shared database",
                )
            )
    return deps


def _workplace_dependencies(
    systems: _Systems, workplaces: list[list[Any]], movable: list[int]
) -> list[list[Any]]:
    """Each PC group uses 10–22 of the applications that are not retired."""
    usable = [i for i in movable if systems.app_meta[i]["strategy"] not in ("retire",)]
    deps: list[list[Any]] = []
    for wp in workplaces:
        for j in systems.rng.sample(usable, k=min(len(usable), systems.rng.randint(10, 22))):
            deps.append(
                _row(
                    "Dependencies",
                    from_kind="workplace",
                    from_name=wp[0],
                    to_kind="application",
                    to_name=systems.app_names[j],
                    kind="uses",
                )
            )
    return deps


def _server_networks(systems: _Systems) -> list[list[Any]]:
    """Every server but the domain controllers on the administrative net (a few in the DMZ)."""
    code, deps = systems.code, []
    for server in systems.server_names:
        if "-DC-" not in server:
            network = f"{code}-DMZ" if systems.rng.random() < 0.05 else f"{code}-ADM"
            deps.append(
                _row(
                    "Dependencies",
                    from_kind="server",
                    from_name=server,
                    to_kind="network",
                    to_name=network,
                    kind="connected_via",
                    strength="hard",
                )
            )
    return deps


def write_demo_data(folder: str | Path, municipalities: int = 3, seed: int = 1) -> list[Path]:
    """Write one template-format workbook per municipality into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for generated in generate(municipalities, seed):
        slug = generated.name.lower().replace(" ", "-")
        paths.append(write_workbook(folder / f"{slug}.xlsx", generated.rows))
    return paths
