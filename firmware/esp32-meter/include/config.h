// The meter's configuration: identity, topics, timing, sensor wiring and
// calibration, relays and safety. Credentials live in secrets.h (not in git).
// README.md explains each group; the sensor front end is chosen in
// platformio.ini (-DMETER_SENSOR_PZEM004T / _INA219 / _ADC).
#pragma once

#include <stdint.h>

// --- Identity and topics --------------------------------------------------------
// The device id is one MQTT topic level: 1-64 of A-Z a-z 0-9 _ - (no '/', '+', '#').
// Topics: <prefix>/<id>/state, /availability, /backlog, /relay/<n>, /relay/<n>/set, /ota.
#define DEVICE_ID "kitchen-meter"
#define MQTT_PREFIX "intelergy"  // Home Assistant discovers meters under "intelergy"
#define FIRMWARE_VERSION "0.1.0"  // 1-4 numbers: OTA updates compare them, reported on …/ota

// --- Timing ---------------------------------------------------------------------
#define PUBLISH_INTERVAL_S 5       // one reading on <prefix>/<id>/state (sent as "interval")
#define SAMPLE_INTERVAL_MS 1000    // sensor reads: energy integration and the cut-off
#define OFFLINE_INTERVAL_S 60      // while the broker is unreachable, one reading a minute
#define OFFLINE_BUFFER_READINGS 720  // 12 h at one a minute (72 bytes each: 52 KB of RAM)
#define BACKLOG_CHUNK_READINGS 40  // per backlog message (the contract allows 2000)
#define BACKLOG_CHUNK_BYTES 8192   // per backlog message (the contract allows 262144)
#define MQTT_BUFFER_SIZE (BACKLOG_CHUNK_BYTES + 256)  // PubSubClient's packet buffer
#define MQTT_KEEPALIVE_S 15
#define MQTT_SOCKET_TIMEOUT_S 5
#define RECONNECT_MIN_MS 1000      // backoff: 1 s, 2 s, 4 s ... up to the maximum
#define RECONNECT_MAX_MS 60000
#define NTP_SERVER_1 "pool.ntp.org"
#define NTP_SERVER_2 "time.google.com"

// --- Sensor front end (one of them, from platformio.ini) -------------------------
#if !defined(METER_SENSOR_PZEM004T) && !defined(METER_SENSOR_INA219) && !defined(METER_SENSOR_ADC)
#define METER_SENSOR_PZEM004T
#endif

// PZEM-004T v3 on UART2 (9600 8N1). The PZEM's TTL side is 5 V: see README.md.
#define PZEM_RX_PIN 16   // ESP32 RX <- PZEM TX
#define PZEM_TX_PIN 17   // ESP32 TX -> PZEM RX
#define PZEM_ADDRESS 0xF8  // the general address: the only PZEM on the bus
#define PZEM_TIMEOUT_MS 200

// INA219 on I2C (DC loads up to 26 V).
#define INA219_SDA_PIN 21
#define INA219_SCL_PIN 22
#define INA219_ADDRESS 0x40
#define INA219_SHUNT_OHMS 0.1      // the module's R100 shunt
#define INA219_MAX_CURRENT_A 3.2   // sets the current LSB (max / 32768)

// ADC: ZMPT101B (voltage) and ACS712 or SCT013 (current) on ADC1 pins (ADC2 is
// unusable while Wi-Fi is on), both biased to mid-scale. Calibration constants:
// see README.md ("Calibration").
#define ADC_VOLTAGE_PIN 34
#define ADC_CURRENT_PIN 35
#define ADC_SAMPLE_RATE_HZ 4000    // pairs per second
#define ADC_SAMPLES 800            // 200 ms: 10 cycles at 50 Hz, 12 at 60 Hz
#define ADC_VOLTAGE_CAL 0.35       // mains V per ADC count
// SCT013-100 (2000 turns) on a 33 ohm burden, ADC 3.1 V / 4095 counts at 11 dB:
// 3.1 / 4095 / 33 * 2000 = 0.0459 A per count (about 34 A RMS full swing).
#define ADC_CURRENT_CAL 0.0459     // A per ADC count
#define ADC_PHASE_CAL 1.0          // 1.0: no correction (EmonLib's PHASECAL)
#define ADC_CURRENT_NOISE_A 0.05   // below: 0 A (noise with no load)

// --- Relays and safety ------------------------------------------------------------
#define RELAY_COUNT 2
#define RELAY_PINS {26, 27}
#define RELAY_ACTIVE_LOW 0         // 1 for modules that switch on a low input
#define RELAY_BOOT_ON_MASK 0x3     // relays on after a (re)boot
#define BUTTON_PIN -1              // a push button toggling relay 0 (-1: none)
// The over-current cut-off: above OVERCURRENT_LIMIT_A for OVERCURRENT_HOLD_MS, the
// relays of RELAY_TRIP_MASK switch off locally, whether or not Home Assistant is
// reachable. 0 disables it. Not a replacement for a fuse or breaker.
#define OVERCURRENT_LIMIT_A 16.0
#define OVERCURRENT_HOLD_MS 500
#define RELAY_TRIP_MASK 0xFFFF

// --- Energy counter -----------------------------------------------------------------
// Stored (NVS) this far ahead of the total: one flash write per ENERGY_RESERVE_WH,
// at most that much over-counted after a crash, never a step backwards.
#define ENERGY_RESERVE_WH 10.0

// --- TLS to the broker (build flag -DMETER_TLS) ----------------------------------------
// The CA certificate that signed the broker's certificate (PEM): the only one the
// meter trusts for the broker (pinned). MQTT_PORT in secrets.h is then usually
// 8883, and the broker's certificate must name MQTT_HOST (DNS name or IP address).
// With the ACL of mosquitto/acl, MQTT_USERNAME must be DEVICE_ID.
#ifdef METER_TLS
static const char MQTT_CA_CERT[] = R"PEM(-----BEGIN CERTIFICATE-----
REPLACE WITH YOUR BROKER'S CA CERTIFICATE (PEM)
-----END CERTIFICATE-----
)PEM";
#endif

// --- Signed OTA over HTTPS (build flag -DMETER_OTA) -------------------------------------
// A minute after boot and then every OTA_CHECK_INTERVAL_S the meter GETs OTA_URL
// (https only; the server's certificate must be signed by OTA_CA_CERT, the only CA
// trusted for it), sending FIRMWARE_VERSION in x-ESP32-version: HTTP 304 or 404 =
// nothing new, 200 = a signed image (tools/sign_firmware.py). It is installed only
// if its signature verifies against the public key compiled in from
// include/ota_public_key.h (generated by `pio run`, see README.md, "Signed OTA")
// and its version is newer than FIRMWARE_VERSION. The outcome goes out retained on
// <prefix>/<id>/ota.
#ifdef METER_OTA
#define OTA_URL "https://192.168.1.10:8443/intelergy-meter.bin"
#define OTA_CHECK_INTERVAL_S 3600
#define OTA_ALLOW_DOWNGRADE 0  // 1: an older signed image may be installed too
#define OTA_STALL_MS 20000     // a download with no byte for this long is given up
static const char OTA_CA_CERT[] = R"PEM(-----BEGIN CERTIFICATE-----
REPLACE WITH THE CA CERTIFICATE OF YOUR UPDATE SERVER (PEM)
-----END CERTIFICATE-----
)PEM";
#endif
