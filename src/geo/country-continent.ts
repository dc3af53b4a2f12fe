/**
 * ISO 3166-1 alpha-2 country -> continent code (AF AN AS EU NA OC SA), as GeoNames and MaxMind
 * assign them. Databases in the @ip-location-db schema carry only `country_code`, so the
 * continent step of geolocation needs this table for them; MaxMind records carry
 * `continent.code` themselves and win over it.
 */
const BY_CONTINENT: Record<string, string> = {
  AF:
    'DZ AO BJ BW BF BI CV CM CF TD KM CG CD CI DJ EG GQ ER SZ ET GA GM GH GN GW KE LS LR LY MG MW ML MR MU YT MA MZ NA NE ' +
    'NG RE RW SH ST SN SC SL SO ZA SS SD TZ TG TN UG EH ZM ZW',
  AN: 'AQ BV GS HM TF',
  AS:
    'AF AM AZ BH BD BT IO BN KH CN GE HK IN ID IR IQ IL JP JO KZ KW KG LA LB MO MY MV MN MM NP KP OM PK PS PH QA SA SG KR ' +
    'LK SY TW TJ TH TL TR TM AE UZ VN YE AP',
  EU:
    'AX AL AD AT BY BE BA BG HR CY CZ DK EE FO FI FR DE GI GR GG VA HU IS IE IM IT JE XK LV LI LT LU MT MD MC ME NL MK NO ' +
    'PL PT RO RU SM RS SK SI ES SJ SE CH UA GB EU',
  NA: 'AI AG AW BS BB BZ BM BQ VG CA KY CR CU CW DM DO SV GL GD GP GT HT HN JM MQ MX MS NI PA PR BL KN LC MF PM VC SX TT TC US VI',
  OC: 'AS AU CK FJ PF GU KI MH FM NR NC NZ NU NF MP PW PG PN WS SB TK TO TV UM VU WF',
  SA: 'AR BO BR CL CO EC FK GF GY PY PE SR UY VE',
};

const CONTINENT_OF = new Map<string, string>();
for (const [continent, list] of Object.entries(BY_CONTINENT)) for (const country of list.split(' ')) CONTINENT_OF.set(country, continent);

/** The continent of an upper-case ISO country code, undefined when unknown. */
export function continentOfCountry(country: string): string | undefined {
  return CONTINENT_OF.get(country);
}
