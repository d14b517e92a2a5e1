"""Real observing targets for the simulator's synthetic archive.

Positions are J2000 (ICRS) in degrees.  The variable stars are those of the
original library's documented outputs (SS Cyg, CH Cyg, EQ Lyr, T CrB, V686 Cyg,
IP Cyg, DX Vul) and other well-known ones; Messier objects carry their numbers;
a few plain RA/Dec fields stand for users' own pointings.  ``SOUTHERN`` holds
targets that never rise at the Observatorio del Teide (latitude +28.30 deg):
requests for them end with status 25, "Never rises".

This module is part of the simulator and imports nothing from the client.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ['Target', 'VARIABLE_STARS', 'MESSIER', 'NGC', 'FIELDS', 'PLANETS',
           'SOUTHERN', 'TEIDE_LATITUDE', 'radec_id', 'sexagesimal']

TEIDE_LATITUDE = 28.30


def _hms(text: str) -> float:
    h, m, s = (float(p) for p in text.split())
    return 15.0 * (h + m / 60 + s / 3600)


def _dms(text: str) -> float:
    sign = -1.0 if text.strip().startswith('-') else 1.0
    d, m, s = (abs(float(p)) for p in text.split())
    return sign * (d + m / 60 + s / 3600)


@dataclass(frozen=True, slots=True)
class Target:
    """One observable target.

    ``object_type`` and ``object_id`` are what a request of the site carries:
    ``RADEC`` with a colon separated position, ``MESSIER`` with the number,
    ``NGC`` with the number, ``PLANET`` with the body's name (no fixed
    position).  ``approximate`` marks positions known only to a few arc
    minutes (written offline, not checked against SIMBAD).
    """

    name: str
    object_type: str
    catalogue_id: str | None
    ra_deg: float | None
    dec_deg: float | None
    comment: str = ''
    approximate: bool = False

    @property
    def object_id(self) -> str:
        """The site's ``objectid`` of a request for this target."""
        if self.object_type == 'RADEC' and self.ra_deg is not None \
                and self.dec_deg is not None:
            return radec_id(self.ra_deg, self.dec_deg)
        return self.catalogue_id or self.name


def sexagesimal(ra_deg: float, dec_deg: float, sep: str = ':') -> tuple[str, str]:
    """RA in hours and Dec in degrees as zero padded strings, two decimals.

    Dec always carries its sign: ``('00:42:58.58', '+36:28:18.97')``.
    """
    # Round once in hundredths of a second so 59.999 never prints as 60.00.
    ra_cs = round((ra_deg % 360.0) / 15.0 * 360000) % (24 * 360000)
    h, rest = divmod(ra_cs, 360000)
    m, cs = divmod(rest, 6000)
    ra = f'{h:02d}{sep}{m:02d}{sep}{cs // 100:02d}.{cs % 100:02d}'
    sign = '-' if dec_deg < 0 else '+'
    dec_cs = round(abs(dec_deg) * 360000)
    d, rest = divmod(dec_cs, 360000)
    m, cs = divmod(rest, 6000)
    dec = f'{sign}{d:02d}{sep}{m:02d}{sep}{cs // 100:02d}.{cs % 100:02d}'
    return ra, dec


def radec_id(ra_deg: float, dec_deg: float) -> str:
    """The ``objectid`` of a RADEC target: ``'HH:MM:SS.ss +DD:MM:SS.ss'``."""
    return ' '.join(sexagesimal(ra_deg, dec_deg))


def _star(name, ra, dec, comment='', approximate=False):
    return Target(name, 'RADEC', None, _hms(ra), _dms(dec), comment, approximate)


VARIABLE_STARS: tuple[Target, ...] = (
    # SS Cyg, CH Cyg, EQ Lyr, DQ Vul, BI Her, LX Cyg and V1223 Sgr: the
    # objectids of the original author's recorded requests; V686 Cyg, IP Cyg,
    # DX Vul, EU Cyg and S Ori: the recorded header pointings of his jobs
    # (the request truncated to whole seconds).
    _star('SS Cyg', '21 42 42.80', '+43 35 09.86', 'Mira'),
    _star('CH Cyg', '19 24 33.07', '+50 14 29.06', 'Symbiotic AAVSO'),
    _star('T CrB', '15 59 30.16', '+25 55 12.6', 'Recurrent nova'),
    _star('R CrB', '15 48 34.41', '+28 09 24.3', 'RCB AAVSO'),
    _star('chi Cyg', '19 50 33.92', '+32 54 50.6', 'Mira'),
    _star('RR Lyr', '19 25 27.91', '+42 47 03.7', 'RR Lyrae'),
    _star('beta Lyr', '18 50 04.80', '+33 21 45.6', 'Eclipsing'),
    _star('delta Cep', '22 29 10.27', '+58 24 54.7', 'Cepheid'),
    _star('Algol', '03 08 10.13', '+40 57 20.3', 'Eclipsing'),
    _star('Mira', '02 19 20.79', '-02 58 39.5', 'Mira'),
    _star('R Leo', '09 47 33.49', '+11 25 43.7', 'Mira'),
    _star('U Gem', '07 55 05.24', '+22 00 05.1', 'Dwarf nova'),
    _star('Z Cam', '08 25 13.20', '+73 06 39.2', 'Dwarf nova'),
    _star('R Aqr', '23 43 49.46', '-15 17 04.1', 'Symbiotic'),
    _star('RS Oph', '17 50 13.16', '-06 42 28.5', 'Recurrent nova'),
    _star('eta Aql', '19 52 28.37', '+01 00 20.4', 'Cepheid'),
    _star('EQ Lyr', '19 19 02.60', '+41 06 34.24', 'Mira'),
    _star('V686 Cyg', '19 47 01.00', '+35 49 47.00', 'Mira'),
    _star('IP Cyg', '19 44 40.00', '+34 49 37.00', 'Mira'),
    _star('DX Vul', '20 46 23.00', '+25 49 05.00', 'Mira'),
    _star('DQ Vul', '20 00 03.02', '+22 46 51.55', 'Mira'),
    _star('BI Her', '17 23 18.17', '+14 57 48.18', 'Mira'),
    _star('LX Cyg', '21 55 57.03', '+48 20 52.52', 'AAVSO'),
    _star('V1223 Sgr', '18 55 02.31', '-31 09 49.59', 'AAVSO'),
    _star('EU Cyg', '19 51 17.00', '+32 40 31.00', 'Mira'),
    _star('S Ori', '05 29 00.00', '-04 41 32.00', 'Mira AAVSO'),
)


def _messier(number, ra, dec, comment=''):
    return Target(f'M{number}', 'MESSIER', str(number), _hms(ra), _dms(dec), comment)


MESSIER: tuple[Target, ...] = (
    _messier(1, '05 34 31.94', '+22 00 52.2', 'Crab Nebula'),
    _messier(2, '21 33 27.02', '-00 49 23.7', 'Globular cluster'),
    _messier(3, '13 42 11.62', '+28 22 38.2', 'Globular cluster'),
    _messier(5, '15 18 33.22', '+02 04 51.7', 'Globular cluster'),
    _messier(8, '18 03 37.00', '-24 23 12.0', 'Lagoon Nebula'),
    _messier(11, '18 51 05.00', '-06 16 12.0', 'Wild Duck Cluster'),
    _messier(13, '16 41 41.24', '+36 27 35.5', 'Hercules cluster'),
    _messier(15, '21 29 58.33', '+12 10 01.2', 'Globular cluster'),
    _messier(16, '18 18 48.00', '-13 49 00.0', 'Eagle Nebula'),
    _messier(20, '18 02 23.00', '-23 01 48.0', 'Trifid Nebula'),
    _messier(27, '19 59 36.34', '+22 43 16.1', 'Dumbbell Nebula'),
    _messier(31, '00 42 44.30', '+41 16 09.0', 'Andromeda Galaxy'),
    _messier(33, '01 33 50.02', '+30 39 36.7', 'Triangulum Galaxy'),
    _messier(35, '06 08 54.00', '+24 20 00.0', 'Open cluster'),
    _messier(42, '05 35 17.30', '-05 23 28.0', 'Orion Nebula'),
    _messier(44, '08 40 24.00', '+19 40 00.0', 'Beehive'),
    _messier(45, '03 47 24.00', '+24 07 00.0', 'Pleiades'),
    _messier(51, '13 29 52.70', '+47 11 43.0', 'Whirlpool Galaxy'),
    _messier(57, '18 53 35.08', '+33 01 45.0', 'Ring Nebula'),
    _messier(63, '13 15 49.30', '+42 01 45.0', 'Sunflower Galaxy'),
    _messier(64, '12 56 43.70', '+21 40 58.0', 'Black Eye Galaxy'),
    _messier(81, '09 55 33.17', '+69 03 55.1', "Bode's Galaxy"),
    _messier(82, '09 55 52.20', '+69 40 47.0', 'Cigar Galaxy'),
    _messier(92, '17 17 07.39', '+43 08 09.4', 'Globular cluster'),
    _messier(97, '11 14 47.70', '+55 01 09.0', 'Owl Nebula'),
    _messier(101, '14 03 12.60', '+54 20 56.0', 'Pinwheel Galaxy'),
    _messier(104, '12 39 59.40', '-11 37 23.0', 'Sombrero Galaxy'),
    _messier(106, '12 18 57.50', '+47 18 14.0', 'Spiral galaxy'),
    _messier(109, '11 57 36.00', '+53 22 28.0', 'Barred spiral'),
)


def _ngc(number, ra, dec, comment=''):
    return Target(f'NGC {number}', 'NGC', str(number), _hms(ra), _dms(dec), comment)


NGC: tuple[Target, ...] = (
    _ngc(7000, '20 59 17.10', '+44 31 44.0', 'North America Nebula'),
    _ngc(869, '02 19 00.00', '+57 08 00.0', 'Double Cluster'),
    _ngc(6960, '20 45 38.00', '+30 42 30.0', 'Veil Nebula'),
    _ngc(891, '02 22 33.40', '+42 20 57.0', 'Edge-on galaxy'),
    _ngc(7293, '22 29 38.55', '-20 50 13.6', 'Helix Nebula'),
)

# Users' own pointings.  The first is the RADEC job of the seed documentation.
FIELDS: tuple[Target, ...] = (
    Target('RaDec object', 'RADEC', None, _hms('00 42 58.58'), _dms('+36 28 18.97'),
           'AutoSubmit'),
    Target('Cygnus field', 'RADEC', None, _hms('20 30 00.00'), _dms('+40 00 00.0')),
    Target('Perseus field', 'RADEC', None, _hms('03 30 00.00'), _dms('+47 00 00.0')),
    Target('Coma field', 'RADEC', None, _hms('12 50 00.00'), _dms('+27 30 00.0')),
    Target('Equator field', 'RADEC', None, _hms('06 00 00.00'), _dms('-00 30 00.0')),
)

# Solar system bodies have no fixed position: requests carry no coordinates.
PLANETS: tuple[Target, ...] = (
    Target('Moon', 'PLANET', 'Moon', None, None),
    Target('Jupiter', 'PLANET', 'Jupiter', None, None),
    Target('Saturn', 'PLANET', 'Saturn', None, None),
    Target('Mars', 'PLANET', 'Mars', None, None),
)

# Below declination -61.7 deg: never above the horizon at Teide.
SOUTHERN: tuple[Target, ...] = (
    _ngc(104, '00 24 05.67', '-72 04 52.6', '47 Tucanae'),
    _ngc(362, '01 03 14.26', '-70 50 55.6', 'Globular cluster'),
    Target('SMC', 'RADEC', None, _hms('00 52 38.00'), _dms('-72 48 01.0'),
           'Small Magellanic Cloud'),
    Target('LMC', 'RADEC', None, _hms('05 23 34.50'), _dms('-69 45 22.0'),
           'Large Magellanic Cloud'),
    _star('Acrux', '12 26 35.90', '-63 05 56.7'),
    _star('R Dor', '04 36 45.59', '-62 04 37.8', 'Semiregular'),
    _star('beta Hyi', '00 25 45.07', '-77 15 15.3'),
)
