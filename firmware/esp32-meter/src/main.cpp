// The Intelergy ESP32 energy meter (Arduino framework, FreeRTOS tasks).
//
// All the logic is in lib/meter_core (tested on the host); this file wires it to
// the hardware through src/hal_esp32.* and runs it in three tasks:
//
//   sampling   (core 1): reads the sensor every SAMPLE_INTERVAL_MS; energy
//              counter (NVS) and the over-current cut-off, which switches the
//              relays off locally, with or without a broker or Home Assistant;
//   relays     (core 1, highest): relay commands from MQTT (a queue) and the
//              optional push button;
//   publishing (core 0, with Wi-Fi): the MQTT session (availability, relay
//              states, state every PUBLISH_INTERVAL_S, offline buffer and
//              backlog, reconnect backoff, the firmware report on …/ota), SNTP
//              time, and signed OTA over HTTPS (-DMETER_OTA): the image is
//              verified by the core (OtaInstaller) before its partition is made
//              bootable.
#include <Arduino.h>
#include <WiFi.h>
#include <esp_system.h>
#include <freertos/FreeRTOS.h>
#include <freertos/queue.h>
#include <freertos/task.h>

#include "config.h"
#include "hal_esp32.h"
#include "meter/adc_power.h"
#include "meter/boot.h"
#include "meter/energy.h"
#include "meter/ina219.h"
#include "meter/ota.h"
#include "meter/pzem004t.h"
#include "meter/relays.h"
#include "meter/sampler.h"
#include "meter/session.h"

#if __has_include("secrets.h")
#include "secrets.h"
#elif defined(METER_COMPILE_CHECK)  // the host-side compile check (CMakeLists.txt)
#include "secrets.example.h"
#else
#error "copy include/secrets.example.h to include/secrets.h and fill in Wi-Fi and broker settings"
#endif

#ifdef METER_TLS
#include <WiFiClientSecure.h>
#endif
#ifdef METER_OTA
#include <HTTPClient.h>
#if __has_include("ota_public_key.h")
#include "ota_public_key.h"  // generated: tools/sign_firmware.py header (pio run does it)
#else
#error "include/ota_public_key.h is missing: see README.md, Signed OTA (tools/sign_firmware.py header)"
#endif
#endif

using namespace meter;

namespace {

// DEVICE_ID is one topic level: checked at compile time.
constexpr bool valid_id(const char* id, int n = 0) {
  return id[n] == '\0' ? (n >= 1 && n <= 64)
                       : (((id[n] >= 'A' && id[n] <= 'Z') || (id[n] >= 'a' && id[n] <= 'z') ||
                           (id[n] >= '0' && id[n] <= '9') || id[n] == '_' || id[n] == '-') &&
                          valid_id(id, n + 1));
}
static_assert(valid_id(DEVICE_ID), "DEVICE_ID: 1-64 of A-Z a-z 0-9 _ -");
static_assert(valid_version_literal(FIRMWARE_VERSION), "FIRMWARE_VERSION: 1-4 numbers separated by dots");
#ifdef METER_OTA
constexpr bool https_url(const char* url) {
  return url[0] == 'h' && url[1] == 't' && url[2] == 't' && url[3] == 'p' && url[4] == 's' && url[5] == ':' &&
         url[6] == '/' && url[7] == '/';
}
static_assert(https_url(OTA_URL), "OTA_URL: https:// only (the image is fetched over TLS, its CA pinned)");
#endif
static_assert(RELAY_COUNT >= 0 && RELAY_COUNT <= 16, "RELAY_COUNT: 0..16");

const uint8_t kRelayPins[] = RELAY_PINS;
static_assert(sizeof kRelayPins == RELAY_COUNT, "RELAY_PINS: one pin per relay");

struct RelayCommand {
  uint8_t index;
  bool on;
};

esp32::SerialLogger logger;
esp32::Esp32Clock clock_;
esp32::NvsStorage storage;

#if defined(METER_SENSOR_PZEM004T)
esp32::UartPort uart(Serial2);
Pzem004t sensor(uart, PZEM_ADDRESS, PZEM_TIMEOUT_MS);
#elif defined(METER_SENSOR_INA219)
esp32::WireBus i2c(Wire);
Ina219 sensor(i2c, INA219_ADDRESS, INA219_SHUNT_OHMS, INA219_MAX_CURRENT_A);
#else
AdcCalibration adc_calibration() {
  AdcCalibration c;
  c.voltage_per_count = ADC_VOLTAGE_CAL;
  c.current_per_count = ADC_CURRENT_CAL;
  c.phase = ADC_PHASE_CAL;
  c.current_noise_floor_a = ADC_CURRENT_NOISE_A;
  return c;
}
esp32::Esp32AdcSampler adc(ADC_VOLTAGE_PIN, ADC_CURRENT_PIN, ADC_SAMPLE_RATE_HZ);
AdcPowerSensor sensor(adc, adc_calibration(), ADC_SAMPLES);
#endif

#ifdef METER_TLS
WiFiClientSecure network;
#else
WiFiClient network;
#endif

// Made in setup(), once the Arduino core runs.
BootCounter* boot_counter = nullptr;
EnergyCounter* energy = nullptr;
esp32::GpioRelays* relay_outputs = nullptr;
RelayBank* relays = nullptr;
OvercurrentCutoff* cutoff = nullptr;
Sampler* sampler = nullptr;
esp32::PubSubTransport* transport = nullptr;
MqttSession* session = nullptr;
QueueHandle_t commands = nullptr;

void sampling_task(void*) {
  TickType_t wake = xTaskGetTickCount();
  uint32_t failures = 0;
  for (;;) {
    Measurement m;
    const uint64_t now = clock_.uptime_ms();
    if (sensor.read(m)) {
      if (failures >= 5) {
        logf(&logger, LogLevel::info, "%s answers again", sensor.name());
      }
      failures = 0;
      sampler->update(m, now);  // energy, cut-off (relays off at once when tripped)
    } else {
      sampler->failed(now);
      if (++failures == 5) {
        logf(&logger, LogLevel::warning, "%s does not answer (check wiring)", sensor.name());
      }
    }
    vTaskDelayUntil(&wake, pdMS_TO_TICKS(SAMPLE_INTERVAL_MS));
  }
}

void relay_task(void*) {
  bool last_button = true;
  uint32_t pressed_at = 0;
  for (;;) {
    RelayCommand command;
    if (xQueueReceive(commands, &command, pdMS_TO_TICKS(20)) == pdTRUE) {
      relays->set(command.index, command.on);  // the publishing task announces it
    }
    if (BUTTON_PIN >= 0 && RELAY_COUNT > 0) {  // active low, debounced: toggles relay 0
      const bool level = digitalRead(BUTTON_PIN) == HIGH;
      if (last_button && !level) {
        pressed_at = millis();
      } else if (!last_button && level && millis() - pressed_at > 50) {
        relays->set(0, !relays->get(0));
      }
      last_button = level;
    }
  }
}

// The firmware's version and its last update's outcome, retained on …/ota.
void report_ota(const OtaRecord& record) {
  char report[320];
  const size_t size = serialize_ota_report(FIRMWARE_VERSION, record, report, sizeof report);
  session->set_ota_report(std::string(report, size));
}

#ifdef METER_OTA
OtaKey* ota_key = nullptr;
esp32::UpdateSlot ota_slot;

// One check: GET OTA_URL over TLS (OTA_CA_CERT pinned), the body into the core's
// OtaInstaller, which writes the image to the inactive partition and makes it
// bootable only once the signature and version are right.
void check_ota() {
  OtaPolicy policy;
  policy.key = ota_key;
  policy.running_version = FIRMWARE_VERSION;
  policy.allow_downgrade = OTA_ALLOW_DOWNGRADE != 0;
  OtaInstaller installer(policy, ota_slot, &logger);
  WiFiClientSecure tls;
  tls.setCACert(OTA_CA_CERT);  // the only CA trusted for the update server
  HTTPClient http;
  http.setTimeout(15000);
  http.useHTTP10(true);  // no chunked encoding: the stream is the body
  if (!http.begin(tls, OTA_URL)) {
    installer.fail("OTA_URL is not usable");
  } else {
    http.addHeader("x-ESP32-version", FIRMWARE_VERSION);
    http.addHeader("X-Intelergy-Device", DEVICE_ID);
    const int status = http.GET();
    if (status < 0) {
      char tls_error[64] = "";
      tls.lastError(tls_error, sizeof tls_error);
      char why[96];
      snprintf(why, sizeof why, "%s%s%s", HTTPClient::errorToString(status).c_str(),
               tls_error[0] != '\0' ? ", TLS: " : "", tls_error);
      installer.fail(why);
    } else if (installer.start(status, http.getSize())) {
      WiFiClient* stream = http.getStreamPtr();
      static uint8_t buffer[2048];  // not on the task's stack
      uint32_t last_byte = millis();
      uint32_t last_poll = millis();
      bool more = stream != nullptr;
      while (more && !installer.complete()) {
        const int available = stream->available();
        if (available > 0) {
          const int n = stream->read(buffer, available < static_cast<int>(sizeof buffer) ? available : sizeof buffer);
          if (n > 0) {
            more = installer.feed(buffer, static_cast<size_t>(n));
            last_byte = millis();
          }
        } else if (!stream->connected()) {
          break;  // the server closed: the end of the body (complete or not)
        } else if (millis() - last_byte > OTA_STALL_MS) {
          break;
        } else {
          delay(2);
        }
        if (millis() - last_poll > 1000) {  // keep the MQTT session alive meanwhile
          last_poll = millis();
          session->poll(0);
        }
      }
      installer.finish(millis() - last_byte > OTA_STALL_MS ? "no byte for OTA_STALL_MS" : nullptr);
    }
  }
  http.end();
  const OtaResult result = installer.finish();
  if (ota_reported(result)) {
    const OtaRecord record = OtaRecord::from(installer, clock_.epoch_ms());
    record.save(storage);  // before a restart: the new firmware reports it
    report_ota(record);
  }
  if (result == OtaResult::ok) {
    logf(&logger, LogLevel::warning, "OTA: %s verified and bootable, restarting", installer.target());
    session->shutdown();  // the report went out; offline (retained), clean disconnect
    sampler->flush();     // the exact energy total
    delay(200);
    ESP.restart();
  }
}
#endif

void publishing_task(void*) {
  const uint64_t interval_ms = PUBLISH_INTERVAL_S * 1000ULL;
  uint64_t next_reading = clock_.uptime_ms() + interval_ms;
#ifdef METER_OTA
  uint64_t next_ota = clock_.uptime_ms() + 60000;  // a minute after boot, then hourly
#endif
  bool was_online = false;
  for (;;) {
    if (WiFi.status() == WL_CONNECTED) {
      session->poll(10);  // (re)connects with backoff, relay states, backlog
    } else {
      vTaskDelay(pdMS_TO_TICKS(50));  // no attempts without Wi-Fi; readings are buffered
    }
    const uint64_t now = clock_.uptime_ms();
    if (now >= next_reading) {
      Reading reading = sampler->snapshot(now);
      reading.timestamp_ms = clock_.epoch_ms();
      if (WiFi.status() == WL_CONNECTED) {
        reading.rssi = static_cast<float>(WiFi.RSSI());
      }
      session->submit(reading);
      next_reading += interval_ms;
      if (next_reading <= now) {
        next_reading = now + interval_ms;
      }
    }
    if (session->online() != was_online) {
      was_online = session->online();
      logf(&logger, LogLevel::info, "MQTT %s", was_online ? "online" : "offline");
    }
#ifdef METER_OTA
    if (session->online() && now >= next_ota) {
      next_ota = now + OTA_CHECK_INTERVAL_S * 1000ULL;
      check_ota();
    }
#endif
    if (!session->online()) {
      vTaskDelay(pdMS_TO_TICKS(20));
    }
  }
}

}  // namespace

void setup() {
  Serial.begin(115200);
  logf(&logger, LogLevel::info, "Intelergy meter %s, firmware %s, sensor %s", DEVICE_ID, FIRMWARE_VERSION,
       sensor.name());
  if (!storage.begin()) {
    logf(&logger, LogLevel::error, "NVS unavailable: the energy counter will not survive a reboot");
  }
  boot_counter = new BootCounter(storage);  // every start is a boot, counted in NVS
  if (boot_counter->begin()) {
    logf(&logger, LogLevel::info, "boot %u", static_cast<unsigned>(boot_counter->count()));
  } else {
    logf(&logger, LogLevel::error, "boot counter not stored in NVS: readings go out without `boot`");
  }
  EnergyOptions energy_options;
  energy_options.reserve_wh = ENERGY_RESERVE_WH;
  energy = new EnergyCounter(storage, energy_options);
  if (energy->begin()) {
    logf(&logger, LogLevel::info, "energy counter restored: %.3f kWh", energy->total_kwh());
  }
  relay_outputs = new esp32::GpioRelays(kRelayPins, RELAY_COUNT, RELAY_ACTIVE_LOW);
  relays = new RelayBank(relay_outputs, RELAY_COUNT, RELAY_BOOT_ON_MASK);
  if (BUTTON_PIN >= 0) {
    pinMode(BUTTON_PIN, INPUT_PULLUP);
  }
  cutoff = new OvercurrentCutoff(OVERCURRENT_LIMIT_A, OVERCURRENT_HOLD_MS);
  SamplerConfig sampler_config;
  sampler_config.trip_mask = RELAY_TRIP_MASK;
  sampler_config.stale_after_ms = 10 * SAMPLE_INTERVAL_MS;
  sampler = new Sampler(*energy, *relays, *cutoff, &logger, sampler_config);

#if defined(METER_SENSOR_PZEM004T)
  uart.begin(PZEM_RX_PIN, PZEM_TX_PIN);
#elif defined(METER_SENSOR_INA219)
  Wire.begin(INA219_SDA_PIN, INA219_SCL_PIN);
  if (!sensor.begin()) {
    logf(&logger, LogLevel::error, "INA219 not found at 0x%02x", INA219_ADDRESS);
  }
#else
  adc.begin();
#endif

  WiFi.mode(WIFI_STA);
  WiFi.setHostname(DEVICE_ID);
  WiFi.setAutoReconnect(true);
  WiFi.begin(WIFI_SSID, WIFI_PASSWORD);
  configTime(0, 0, NTP_SERVER_1, NTP_SERVER_2);  // UTC; readings carry epoch seconds
#ifdef METER_TLS
  network.setCACert(MQTT_CA_CERT);
#endif

  transport = new esp32::PubSubTransport(network, MQTT_HOST, MQTT_PORT, "intelergy-" DEVICE_ID, MQTT_USERNAME,
                                         MQTT_PASSWORD, &logger);
#ifdef METER_TLS
  transport->set_tls_error_source([](char* buffer, size_t size) { return network.lastError(buffer, size); });
#endif
  if (!transport->begin(MQTT_BUFFER_SIZE, MQTT_KEEPALIVE_S, MQTT_SOCKET_TIMEOUT_S)) {
    logf(&logger, LogLevel::error, "no memory for a %u-byte MQTT buffer", static_cast<unsigned>(MQTT_BUFFER_SIZE));
  }
  SessionConfig config;
  config.prefix = MQTT_PREFIX;
  config.device_id = DEVICE_ID;
  config.interval_s = PUBLISH_INTERVAL_S;
  config.offline_interval_ms = OFFLINE_INTERVAL_S * 1000U;
  config.buffer_capacity = OFFLINE_BUFFER_READINGS;
  config.chunk_readings = BACKLOG_CHUNK_READINGS;
  config.chunk_bytes = BACKLOG_CHUNK_BYTES;
  config.backoff_initial_ms = RECONNECT_MIN_MS;
  config.backoff_max_ms = RECONNECT_MAX_MS;
  config.seed = esp_random();
  config.boot = boot_counter->stored() ? static_cast<int64_t>(boot_counter->count()) : -1;
  session = new MqttSession(config, *transport, *relays, clock_, &logger);
  // The last update's outcome (NVS): an update that said ok but did not come up
  // is reported as rolled back.
  OtaRecord ota_record = OtaRecord::load(storage);
  if (ota_record.check_boot(FIRMWARE_VERSION)) {
    logf(&logger, LogLevel::warning, "OTA: %s", ota_record.detail);
    ota_record.save(storage);
  }
  report_ota(ota_record);
#ifdef METER_OTA
  ota_key = new OtaKey();
  if (!ota_key->load(OTA_PUBLIC_KEY_DER, sizeof OTA_PUBLIC_KEY_DER)) {
    logf(&logger, LogLevel::error, "OTA: the compiled-in public key %s is no P-256 key: updates are refused",
         OTA_PUBLIC_KEY_ID);
  }
#endif
  commands = xQueueCreate(8, sizeof(RelayCommand));
  session->set_command_handler([](unsigned index, bool on) {
    const RelayCommand command{static_cast<uint8_t>(index), on};
    xQueueSend(commands, &command, 0);
  });

  xTaskCreatePinnedToCore(relay_task, "relays", 3072, nullptr, 4, nullptr, 1);
  xTaskCreatePinnedToCore(sampling_task, "sampling", 4096, nullptr, 3, nullptr, 1);
#ifdef METER_TLS
  const uint32_t publishing_stack = 16384;  // the TLS handshake runs in this task
#else
  const uint32_t publishing_stack = 8192;
#endif
  xTaskCreatePinnedToCore(publishing_task, "publishing", publishing_stack, nullptr, 2, nullptr, 0);
}

void loop() {
  vTaskDelete(nullptr);  // everything runs in the tasks above
}
