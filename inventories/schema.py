"""The inventory workbook's sheets and columns: one table that the template writer,
the importer and the documentation all read, so that they can never disagree.

Headers are matched case-insensitively, ignoring spaces, underscores, hyphens and
parenthesised units, and Danish and Swedish aliases are accepted (see GLOSSARY.md).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """Item kinds, as users write them in `from_kind`/`to_kind` and in item ids."""

    SITE = "site"
    NETWORK = "network"
    DIRECTORY = "directory"
    SERVER = "server"
    APPLICATION = "application"
    WORKPLACE = "workplace"


#: Kinds that a plan places in waves (sites are places, not moves).
MOVABLE_KINDS: tuple[Kind, ...] = (
    Kind.NETWORK,
    Kind.DIRECTORY,
    Kind.SERVER,
    Kind.APPLICATION,
    Kind.WORKPLACE,
)

SITE_TYPES = ("town_hall", "school", "institution", "jobcentre", "other")
NETWORK_KINDS = ("administrative", "pedagogical", "dmz", "other")
DIRECTORY_TYPES = ("active_directory", "ldap", "entra_id", "other")
ENVIRONMENTS = ("prod", "test", "dev")
CRITICALITIES = ("low", "medium", "high", "critical")
STRATEGIES = ("rehost", "replatform", "replace", "consolidate", "retire", "retain", "saas")
DEPENDENCY_KINDS = (
    "runs_on",
    "joined_to",
    "authenticates_with",
    "integrates_with",
    "uses",
    "connected_via",
    "hosted_by",
)
STRENGTHS = ("hard", "soft")
YES_NO = ("yes", "no")

#: Danish/Swedish spellings of enum values, mapped to the canonical English value.
VALUE_ALIASES: dict[str, str] = {
    # kinds
    "lokation": "site",
    "plats": "site",
    "netværk": "network",
    "nätverk": "network",
    "netvaerk": "network",
    "katalog": "directory",
    "katalogtjeneste": "directory",
    "katalogtjänst": "directory",
    "applikation": "application",
    "fagsystem": "application",
    "itsystem": "application",
    "system": "application",
    "arbejdsplads": "workplace",
    "arbetsplats": "workplace",
    # site types
    "rådhus": "town_hall",
    "kommunhus": "town_hall",
    "townhall": "town_hall",
    "skole": "school",
    "skola": "school",
    "jobcenter": "jobcentre",
    "jobcenter_": "jobcentre",
    "andet": "other",
    "annat": "other",
    "øvrigt": "other",
    "övrigt": "other",
    # network kinds
    "administrativ": "administrative",
    "administrativt": "administrative",
    "pædagogisk": "pedagogical",
    "paedagogisk": "pedagogical",
    "pedagogisk": "pedagogical",
    "pedagogiskt": "pedagogical",
    # directory types
    "ad": "active_directory",
    "activedirectory": "active_directory",
    "entra": "entra_id",
    "azuread": "entra_id",
    "azure_ad": "entra_id",
    # environments
    "production": "prod",
    "produktion": "prod",
    "drift": "prod",
    "development": "dev",
    "udvikling": "dev",
    "utveckling": "dev",
    "prd": "prod",
    "tst": "test",
    "utv": "dev",
    "udv": "dev",
    "uat": "test",
    "qa": "test",
    "staging": "test",
    "preprod": "test",
    "develop": "dev",
    # criticality
    "lav": "low",
    "låg": "low",
    "mellem": "medium",
    "middel": "medium",
    "medel": "medium",
    "høj": "high",
    "hoj": "high",
    "hög": "high",
    "kritisk": "critical",
    "meget_høj": "critical",
    "mycket_hög": "critical",
    "ikke_kritisk": "low",
    "inte_kritisk": "low",
    "middel_høj": "medium",
    # yes / no
    "ja": "yes",
    "nej": "no",
    "true": "yes",
    "false": "no",
    "y": "yes",
    "n": "no",
    "1": "yes",
    "0": "no",
    "x": "yes",
    "j": "yes",
    "sand": "yes",
    "falsk": "no",
    "sant": "yes",
    "falskt": "no",
    "virtuel": "yes",
    "virtuell": "yes",
    "virtual": "yes",
    "vm": "yes",
    "fysisk": "no",
    "physical": "no",
    # strength
    "hård": "hard",
    "hårdt": "hard",
    "blød": "soft",
    "mjuk": "soft",
}


@dataclass(frozen=True)
class Column:
    """One column of an inventory sheet."""

    name: str
    help: str
    type: str = "text"  # text | int | float | yesno | enum | cidr | list | dates | ref
    required: bool = False
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    minimum: float | None = 0
    maximum: float | None = None
    width: int = 16


@dataclass(frozen=True)
class Sheet:
    """One sheet of the inventory workbook."""

    name: str
    kind: Kind | None  # the item kind its rows describe (None: municipality, dependencies)
    help: str
    columns: tuple[Column, ...]
    aliases: tuple[str, ...] = ()
    lookup: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for column in self.columns:
            for alias in (column.name, *column.aliases):
                self.lookup[normalise_header(alias)] = column

    def column(self, header: str) -> Column | None:
        """The column a user's header means, or None; a unit written after the name ('RAM GB',
        'Disk [TB]', 'RAM i GB') is passed over as '(GB)' is."""
        found = self.lookup.get(normalise_header(header))
        if found is None:
            bare = _UNIT_TAIL.sub("", str(header))
            if bare != str(header) and bare.strip():
                found = self.lookup.get(normalise_header(bare))
        return found


#: Unit words at the end of a header, with "i"/"in" before them.
_UNIT_TAIL = re.compile(
    r"(?:\s*(?:\[[^\]]*\]|\b(?:i|in)\b|\b(?:gb|gib|mb|mib|tb|tib|kb|mbit|gbit|"
    r"mbps|gbps|timer|timmar|hours|stk|st|antal)\b(?:/s)?))+\s*$",
    re.I,
)


def normalise_header(text: str) -> str:
    """Fold a header for matching: case, spaces, underscores, hyphens, '*' and '(unit)'."""
    text = unicodedata.normalize("NFC", str(text)).strip().lower()
    text = re.sub(r"\(.*?\)", "", text)
    return re.sub(r"[\s_\-*.:/]+", "", text)


def normalise_value(text: str) -> str:
    """Fold an enum value for matching and map Danish/Swedish aliases to English."""
    key = (
        unicodedata.normalize("NFC", str(text)).strip().lower().replace(" ", "_").replace("-", "_")
    )
    return VALUE_ALIASES.get(key, VALUE_ALIASES.get(key.replace("_", ""), key))


def _c(name: str, help: str, type: str = "text", **kw: object) -> Column:
    return Column(name, help, type, **kw)  # type: ignore[arg-type]


NAME = ("navn", "namn", "name")
_CRIT = _c(
    "criticality",
    "How bad an outage is: low, medium, high or critical.",
    "enum",
    choices=CRITICALITIES,
    aliases=(
        "kritikalitet",
        "forretningskritisk",
        "verksamhetskritisk",
        "kritisk",
        "kritiskt",
        "critical",
        "business critical",
        "forretningskritisk it-system",
        "kritikalitetsniveau",
        "kriticitet",
    ),
)
_EFFORT = _c(
    "effort_hours",
    "Hours of work to move it. Blank: the plan's default per kind.",
    "float",
    aliases=("effort", "indsats", "insats", "timer", "timmar", "hours"),
)
_DOWNTIME = _c(
    "downtime_hours",
    "Hours it is unavailable during cutover. Blank: the plan's default.",
    "float",
    aliases=("downtime", "nedetid", "driftstopp", "avbrott"),
)
_USERS = _c(
    "users",
    "Number of users.",
    "int",
    aliases=(
        "brugere",
        "antal brugere",
        "användare",
        "antal användare",
        "brugerantal",
        "användarantal",
        "antal users",
    ),
)
_SITE_REF = _c(
    "site",
    "Name of a site on the Sites sheet.",
    "ref",
    aliases=("lokation", "plats", "institution"),
)
_NET_REF = _c(
    "network",
    "Name of a network on the Networks sheet.",
    "ref",
    aliases=("netværk", "nätverk", "net"),
)
_DIR_REF = _c(
    "directory",
    "Name of a directory (AD domain) on the Directories sheet.",
    "ref",
    aliases=(
        "katalog",
        "katalogtjeneste",
        "katalogtjänst",
        "domain",
        "domæne",
        "domän",
        "ad domain",
    ),
)
_OS = _c(
    "os",
    "Operating system, e.g. Windows Server 2019, RHEL 8.",
    aliases=(
        "operativsystem",
        "operating system",
        "styresystem",
        "os navn",
        "os name",
        "guest os",
        "osfullname",
        "operating system according to the configuration file",
    ),
)

SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "Municipality",
        None,
        "One row: the municipality this workbook describes.",
        (
            _c(
                "name",
                "The municipality's name, e.g. Nordby Kommune.",
                required=True,
                aliases=("kommune", "kommun", "municipality", *NAME),
            ),
            _c(
                "code",
                "Official municipality code (e.g. 0101 / 0180).",
                aliases=("kode", "kod", "kommunekode", "kommunkod"),
            ),
            _c(
                "employees",
                "Employees as full-time equivalents (FTE).",
                "float",
                aliases=("fte", "ansatte", "anställda", "årsværk"),
            ),
            _USERS,
            _c("country", "DK or SE.", aliases=("land",)),
        ),
        aliases=("kommune", "kommun", "municipalities"),
    ),
    Sheet(
        "Sites",
        Kind.SITE,
        "Places: town hall, schools, institutions, job centres.",
        (
            _c(
                "name",
                "Unique name of the site.",
                required=True,
                aliases=("lokation", "plats", *NAME),
            ),
            _c(
                "type",
                "town_hall, school, institution, jobcentre or other.",
                "enum",
                choices=SITE_TYPES,
                aliases=("type", "typ", "sitetype"),
            ),
            _NET_REF,
            _USERS,
            _c("address", "Street address.", aliases=("adresse", "adress")),
        ),
        aliases=("lokationer", "platser", "site"),
    ),
    Sheet(
        "Networks",
        Kind.NETWORK,
        "Physical or logical networks; "
        "each municipality usually has an administrative and a pedagogical one.",
        (
            _c(
                "name",
                "Unique name of the network.",
                required=True,
                aliases=("netværk", "nätverk", *NAME),
            ),
            _c(
                "kind",
                "administrative, pedagogical, dmz or other.",
                "enum",
                required=True,
                choices=NETWORK_KINDS,
                aliases=("type", "typ", "art"),
            ),
            _c(
                "cidr",
                "IPv4/IPv6 prefixes, comma-separated, e.g. 10.1.0.0/16, fd00::/48.",
                "cidr",
                aliases=(
                    "prefix",
                    "prefixes",
                    "subnet",
                    "subnets",
                    "ip range",
                    "iprange",
                    "adresseområde",
                ),
            ),
            _c("vlan", "VLAN id (1-4094).", "int", minimum=1, maximum=4094),
            _SITE_REF,
            _c(
                "bandwidth_mbps",
                "Uplink bandwidth in Mbit/s.",
                "float",
                aliases=("bandwidth", "båndbredde", "bandbredd"),
            ),
        ),
        aliases=("netværk", "nätverk", "network", "net"),
    ),
    Sheet(
        "Directories",
        Kind.DIRECTORY,
        "Directory services: Active Directory domains, LDAP, Entra ID tenants.",
        (
            _c(
                "name",
                "Domain FQDN or tenant name, e.g. nordby.local.",
                required=True,
                aliases=("domæne", "domän", "domain", *NAME),
            ),
            _c(
                "type",
                "active_directory, ldap, entra_id or other.",
                "enum",
                choices=DIRECTORY_TYPES,
                aliases=("typ",),
            ),
            _c("forest", "AD forest root domain.", aliases=("skov", "skog")),
            _c(
                "user_accounts",
                "Number of user accounts.",
                "int",
                aliases=("brugerkonti", "användarkonton", "users"),
            ),
            _c(
                "computer_accounts",
                "Number of computer accounts.",
                "int",
                aliases=("computerkonti", "datorkonton", "computers"),
            ),
        ),
        aliases=(
            "katalogtjenester",
            "katalogtjänster",
            "directory",
            "domains",
            "domæner",
            "domäner",
        ),
    ),
    Sheet(
        "Servers",
        Kind.SERVER,
        "Physical and virtual servers.",
        (
            _c(
                "name",
                "Host name of the server.",
                required=True,
                aliases=(
                    "servernavn",
                    "servernamn",
                    "server",
                    "hostname",
                    "vm",
                    "server name",
                    "maskinnavn",
                    "maskinnamn",
                    "computernavn",
                    "datornamn",
                    "vm navn",
                    "vm name",
                    "værtsnavn",
                    *NAME,
                ),
            ),
            _OS,
            _c(
                "os_version",
                "OS version or edition.",
                aliases=("version", "osversion", "styresystem version", "udgave", "edition"),
            ),
            _c(
                "virtual",
                "yes for a virtual machine, no for physical.",
                "yesno",
                choices=YES_NO,
                aliases=(
                    "virtuel",
                    "virtuell",
                    "virtualised",
                    "virtual",
                    "fysisk/virtuel",
                    "virtuel/fysisk",
                    "fysisk/virtuell",
                    "virtuell/fysisk",
                    "physical/virtual",
                    "virtual/physical",
                    "vm/fysisk",
                ),
            ),
            _c(
                "host",
                "Hypervisor host (virtual servers).",
                aliases=("vært", "värd", "vmhost", "esx host", "esxi host", "hypervisor", "esx"),
            ),
            _c("cluster", "Hypervisor cluster.", aliases=("klynge", "kluster")),
            _c(
                "vcpu",
                "Virtual CPUs / cores.",
                "int",
                aliases=(
                    "cpu",
                    "cpus",
                    "cores",
                    "kerner",
                    "kärnor",
                    "vcpus",
                    "numcpu",
                    "antal cpu",
                    "antal vcpu",
                    "processorer",
                    "processors",
                    "cpu'er",
                ),
            ),
            _c(
                "ram_gb",
                "Memory in GB.",
                "float",
                aliases=(
                    "ram",
                    "memory",
                    "hukommelse",
                    "minne",
                    "memorygb",
                    "arbejdshukommelse",
                    "arbetsminne",
                ),
            ),
            _c(
                "storage_gb",
                "Provisioned storage in GB.",
                "float",
                aliases=(
                    "storage",
                    "disk",
                    "lager",
                    "lagring",
                    "diskplads",
                    "diskstørrelse",
                    "diskstorlek",
                    "lagerplads",
                    "provisionedspacegb",
                    "provisioned space",
                    "harddisk",
                    "hdd",
                ),
            ),
            _NET_REF,
            _DIR_REF,
            _c(
                "environment",
                "prod, test or dev.",
                "enum",
                choices=ENVIRONMENTS,
                aliases=("miljø", "miljö", "env", "driftsmiljø", "driftsmiljö"),
            ),
            _CRIT,
            _SITE_REF,
            _c(
                "ip",
                "Primary IP address.",
                aliases=(
                    "ip address",
                    "ipadresse",
                    "ipadress",
                    "ipv4",
                    "ipv4 address",
                    "ipv4 adresse",
                    "primary ip",
                    "primær ip",
                    "primär ip",
                ),
            ),
            _EFFORT,
            _DOWNTIME,
            _c(
                "owner",
                "Responsible person or team.",
                aliases=(
                    "ejer",
                    "ägare",
                    "ansvarlig",
                    "ansvarig",
                    "teknisk ansvarlig",
                    "tekniskt ansvarig",
                    "driftsansvarlig",
                    "kontaktperson",
                ),
            ),
        ),
        aliases=("server", "servere", "servrar"),
    ),
    Sheet(
        "Applications",
        Kind.APPLICATION,
        "IT systems (fagsystemer / verksamhetssystem) and what they run on.",
        (
            _c(
                "name",
                "Name of the IT system.",
                required=True,
                aliases=(
                    "applikation",
                    "fagsystem",
                    "itsystem",
                    "system",
                    "application",
                    "systemnavn",
                    "systemnamn",
                    "applikationsnavn",
                    "applikationsnamn",
                    "verksamhetssystem",
                    *NAME,
                ),
            ),
            _c(
                "function",
                "Business function, e.g. ESDH, payroll, finance, library, school, care.",
                aliases=("funktion", "forretningsområde", "systemkategori", "verksamhetsområde"),
            ),
            _c(
                "vendor",
                "Supplier.",
                aliases=("leverandør", "leverantör", "supplier", "producent", "tillverkare"),
            ),
            _c("version", "Version.", aliases=()),
            _CRIT,
            _USERS,
            _c(
                "strategy",
                "rehost, replatform, replace, consolidate, retire, retain or saas.",
                "enum",
                choices=STRATEGIES,
                aliases=("strategi", "disposition", "6r"),
            ),
            _c(
                "target",
                "The common system it moves into (replace/consolidate): name or Municipality/name.",
                aliases=("mål", "målsystem", "target system"),
            ),
            _c(
                "servers",
                "Servers it runs on, comma-separated names from the Servers sheet.",
                "list",
                aliases=("servere", "servrar", "server", "kører på", "körs på", "servernavne"),
            ),
            _DIR_REF,
            _c(
                "owner",
                "System owner.",
                aliases=(
                    "systemejer",
                    "systemansvarlig",
                    "systemägare",
                    "systemförvaltare",
                    "ejer",
                    "ägare",
                ),
            ),
            _EFFORT,
            _DOWNTIME,
            _c(
                "blackout",
                "Dates it may not move, YYYY-MM-DD..YYYY-MM-DD, comma-separated.",
                "dates",
                aliases=("spærreperiode", "spärrperiod", "blackout dates"),
            ),
        ),
        aliases=("applikationer", "fagsystemer", "itsystemer", "system", "application", "apps"),
    ),
    Sheet(
        "Workplaces",
        Kind.WORKPLACE,
        "Groups of PCs (a site or a department) moving to the standard workplace.",
        (
            _c(
                "name",
                "Name of the group, e.g. Rådhus administration.",
                required=True,
                aliases=("arbejdsplads", "arbetsplats", "gruppe", "grupp", *NAME),
            ),
            _SITE_REF,
            _c(
                "pcs",
                "Number of PCs in the group.",
                "int",
                required=True,
                aliases=(
                    "pc",
                    "pc'er",
                    "pcer",
                    "datorer",
                    "computere",
                    "clients",
                    "klienter",
                    "antal pc'er",
                    "antal pc",
                    "antal pcer",
                    "antal datorer",
                    "antal computere",
                    "antal klienter",
                ),
            ),
            _USERS,
            _OS,
            _DIR_REF,
            _NET_REF,
            _EFFORT,
        ),
        aliases=("arbejdspladser", "arbetsplatser", "workplace", "clients", "klienter"),
    ),
    Sheet(
        "Dependencies",
        None,
        "What depends on what. from = the dependent item, to = what it needs.",
        (
            _c(
                "from_kind",
                "Kind of the dependent item: site, network, "
                "directory, server, application, workplace.",
                "enum",
                required=True,
                choices=tuple(k.value for k in Kind),
                aliases=("fra type", "från typ"),
            ),
            _c(
                "from_name",
                "Name of the dependent item.",
                required=True,
                aliases=("fra", "från", "from"),
            ),
            _c(
                "to_kind",
                "Kind of the item it depends on.",
                "enum",
                required=True,
                choices=tuple(k.value for k in Kind),
                aliases=("til type", "till typ"),
            ),
            _c(
                "to_name",
                "Name of the item it depends on.",
                required=True,
                aliases=("til", "till", "to"),
            ),
            _c(
                "to_municipality",
                "Municipality of the item it depends on; blank = this one.",
                aliases=("til kommune", "till kommun"),
            ),
            _c(
                "kind",
                "runs_on, joined_to, authenticates_with, "
                "integrates_with, uses, connected_via or hosted_by.",
                "enum",
                required=True,
                choices=DEPENDENCY_KINDS,
                aliases=("type", "typ", "relation"),
            ),
            _c(
                "strength",
                "hard (default) or soft: a soft dependency may be split across waves at a cost.",
                "enum",
                choices=STRENGTHS,
                aliases=("styrke", "styrka"),
            ),
            _c("note", "Free text.", aliases=("note", "bemærkning", "anmärkning", "kommentar")),
        ),
        aliases=("afhængigheder", "beroenden", "snitflader", "gränssnitt", "dependency"),
    ),
)

SHEETS_BY_NAME: dict[str, Sheet] = {normalise_header(s.name): s for s in SHEETS}
for _sheet in SHEETS:
    for _alias in _sheet.aliases:
        SHEETS_BY_NAME.setdefault(normalise_header(_alias), _sheet)


def sheet_for(title: str) -> Sheet | None:
    """The inventory sheet a workbook tab's title means, or None for an unknown tab."""
    return SHEETS_BY_NAME.get(normalise_header(title))
