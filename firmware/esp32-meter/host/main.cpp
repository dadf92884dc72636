// The ESP32 meter firmware, built for the host: the same core (sampler, energy
// counter, relays, over-current cut-off, MQTT session, offline buffer) on a
// real broker through libmosquitto, with simulated sensors behind the real
// front ends (PZEM-004T Modbus frames, INA219 registers, ADC waveforms).
// Its command line follows simulators/esp32_meter.py:
//
//   intelergy-meter --device-id kitchen-meter --host 127.0.0.1 --port 1883
//                   --prefix intelergy --interval 5 --relays 2 [--sensor pzem|ina219|adc]
//
// Prints one line on stdout once connected; SIGINT / SIGTERM: `offline`
// (retained), a clean disconnect, the energy counter stored, exit 0. With
// --state-dir the energy and boot counters persist there (files, as NVS on the
// ESP32): every start is a boot, `boot` in the readings counts them.
//
// Signed OTA (--ota-url https://...): once connected and then every
// --ota-interval seconds the meter GETs the URL (TLS pinned to --ota-cafile), and
// the core verifies the image against the public key in --ota-key (DER; on the
// ESP32 it is compiled in) before the "inactive partition" (<state-dir>/ota-slot.bin)
// is made bootable. The outcome goes out retained on `…/ota`. After an update it
// prints a line, stops as on SIGTERM and exits 3 ("restart into the new firmware").
#include <mosquitto.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "meter/adc_power.h"
#include "meter/boot.h"
#include "meter/ina219.h"
#include "meter/ota.h"
#include "meter/pzem004t.h"
#include "meter/sampler.h"
#include "meter/session.h"
#include "meter/sim.h"
#include "meter/topics.h"
#include "ota_host.h"
#include "posix.h"

using namespace meter;

namespace {

volatile std::sig_atomic_t stopping = 0;

void request_stop(int) { stopping = 1; }

struct Options {
  std::string device_id = "kitchen-meter";
  std::string prefix = "intelergy";
  host::BrokerOptions broker;
  double interval_s = 5.0;
  unsigned relays = 2;
  std::vector<double> loads;
  std::string sensor = "pzem";
  double energy_kwh = 0.0;
  std::string state_dir;
  size_t buffer = 10000;
  size_t chunk = 500;
  double offline_interval_s = 0.0;
  double backoff_max_s = 30.0;
  double overcurrent_a = 0.0;
  bool verbose = false;
  std::string firmware_version = "0.1.0";
  std::string ota_url;
  std::string ota_cafile;
  std::string ota_key;
  double ota_interval_s = 3600.0;
  bool ota_allow_downgrade = false;
  size_t ota_slot_bytes = 1310720;  // the ESP32 default partition table's app slot
};

constexpr int kExitRestart = 3;  // an update was installed: start the new firmware

[[noreturn]] void usage(const char* problem) {
  if (problem != nullptr) {
    std::fprintf(stderr, "intelergy-meter: %s\n", problem);
  }
  std::fprintf(stderr,
               "usage: intelergy-meter [--device-id ID] [--host HOST] [--port PORT] [--prefix PREFIX]\n"
               "         [--interval SECONDS] [--relays N] [--loads W,W,...] [--sensor pzem|ina219|adc]\n"
               "         [--energy KWH] [--state-dir DIR] [--buffer N] [--chunk N] [--offline-interval S]\n"
               "         [--backoff-max S] [--overcurrent AMPS] [--username U] [--password P]\n"
               "         [--cafile PEM] [--firmware-version V] [--ota-url https://...] [--ota-cafile PEM]\n"
               "         [--ota-key DER] [--ota-interval S] [--ota-allow-downgrade] [--ota-slot-bytes N] [-v]\n"
               "The ESP32 meter firmware's core as a simulated meter on a real MQTT broker.\n"
               "  --sensor      the front end, on simulated hardware (default pzem)\n"
               "  --energy      the counter's start when --state-dir holds none (kWh)\n"
               "  --state-dir   where the energy and boot counters persist (default: memory\n"
               "                only, and no `boot` in the readings)\n"
               "  --overcurrent trip every relay above this current (0: off)\n"
               "  --cafile      MQTT over TLS, the broker's certificate checked against this CA\n"
               "  --firmware-version  the version this meter runs (default 0.1.0), reported on …/ota\n"
               "  --ota-url     signed updates from this https:// URL (needs --state-dir, --ota-cafile,\n"
               "                --ota-key: the signing key's public key, DER, as tools/sign_firmware.py\n"
               "                writes it); exit status 3 after an update was installed\n");
  std::exit(problem == nullptr ? 0 : 2);
}

double number(const char* text, const char* name) {
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text, &end);
  if (end == text || *end != '\0' || errno != 0) {
    usage((std::string(name) + ": not a number: " + text).c_str());
  }
  return value;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      usage(nullptr);
    }
    if (arg == "-v" || arg == "--verbose") {
      o.verbose = true;
      continue;
    }
    if (arg == "--ota-allow-downgrade") {
      o.ota_allow_downgrade = true;
      continue;
    }
    if (i + 1 >= argc) {
      usage((arg + ": missing value").c_str());
    }
    const char* value = argv[++i];
    if (arg == "--device-id") {
      o.device_id = value;
    } else if (arg == "--host") {
      o.broker.host = value;
    } else if (arg == "--port") {
      o.broker.port = static_cast<int>(number(value, "--port"));
    } else if (arg == "--prefix") {
      o.prefix = value;
    } else if (arg == "--interval") {
      o.interval_s = number(value, "--interval");
    } else if (arg == "--relays") {
      o.relays = static_cast<unsigned>(number(value, "--relays"));
    } else if (arg == "--loads") {
      std::string list = value;
      size_t start = 0;
      while (start <= list.size()) {
        const size_t comma = list.find(',', start);
        const std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        o.loads.push_back(number(item.c_str(), "--loads"));
        if (comma == std::string::npos) {
          break;
        }
        start = comma + 1;
      }
    } else if (arg == "--sensor") {
      o.sensor = value;
    } else if (arg == "--energy") {
      o.energy_kwh = number(value, "--energy");
    } else if (arg == "--state-dir") {
      o.state_dir = value;
    } else if (arg == "--buffer") {
      o.buffer = static_cast<size_t>(number(value, "--buffer"));
    } else if (arg == "--chunk") {
      o.chunk = static_cast<size_t>(number(value, "--chunk"));
    } else if (arg == "--offline-interval") {
      o.offline_interval_s = number(value, "--offline-interval");
    } else if (arg == "--backoff-max") {
      o.backoff_max_s = number(value, "--backoff-max");
    } else if (arg == "--overcurrent") {
      o.overcurrent_a = number(value, "--overcurrent");
    } else if (arg == "--username") {
      o.broker.username = value;
    } else if (arg == "--password") {
      o.broker.password = value;
    } else if (arg == "--cafile") {
      o.broker.cafile = value;
    } else if (arg == "--firmware-version") {
      o.firmware_version = value;
    } else if (arg == "--ota-url") {
      o.ota_url = value;
    } else if (arg == "--ota-cafile") {
      o.ota_cafile = value;
    } else if (arg == "--ota-key") {
      o.ota_key = value;
    } else if (arg == "--ota-interval") {
      o.ota_interval_s = number(value, "--ota-interval");
    } else if (arg == "--ota-slot-bytes") {
      o.ota_slot_bytes = static_cast<size_t>(number(value, "--ota-slot-bytes"));
    } else {
      usage(("unknown option " + arg).c_str());
    }
  }
  if (!valid_device_id(o.device_id.c_str())) {
    usage(("device id '" + o.device_id + "': 1-64 of A-Z a-z 0-9 _ -").c_str());
  }
  if (!valid_prefix(o.prefix.c_str())) {
    usage(("prefix '" + o.prefix + "'").c_str());
  }
  if (o.relays > kMaxRelays) {
    usage("--relays: 0..16");
  }
  if (!(o.interval_s > 0.0)) {
    usage("--interval: above 0");
  }
  if (o.sensor != "pzem" && o.sensor != "ina219" && o.sensor != "adc") {
    usage("--sensor: pzem, ina219 or adc");
  }
  if (o.loads.empty()) {
    static const double defaults[] = {100.0, 1000.0, 60.0, 2000.0};  // as the Python simulator
    for (unsigned n = 0; n < o.relays; ++n) {
      o.loads.push_back(defaults[n % 4]);
    }
  }
  if (o.loads.size() != o.relays) {
    usage("--loads: one value per relay");
  }
  if (o.chunk == 0 || o.buffer == 0) {
    usage("--buffer and --chunk: at least 1");
  }
  FirmwareVersion version;
  if (!parse_version(o.firmware_version.c_str(), version)) {
    usage("--firmware-version: 1-4 numbers separated by dots (0.2.0)");
  }
  if (!o.ota_url.empty()) {
    if (o.ota_url.compare(0, 8, "https://") != 0) {
      usage("--ota-url: https:// only (the image is fetched over TLS)");
    }
    if (o.ota_cafile.empty() || o.ota_key.empty() || o.state_dir.empty()) {
      usage("--ota-url needs --ota-cafile, --ota-key and --state-dir");
    }
    if (!(o.ota_interval_s > 0.0)) {
      usage("--ota-interval: above 0");
    }
  }
  o.broker.client_id = "intelergy-meter-" + o.device_id;
  return o;
}

// The sensors and what they measure: a load behind the relays, through the
// chosen front end on simulated hardware.
class SimulatedHardware {
 public:
  SimulatedHardware(const Options& o, RelayBank& relays)
      : relays_(relays),
        pzem_device_(0x01),
        pzem_(pzem_device_),
        ina_chip_(0x40, 0.002),
        ina_(ina_chip_, 0x40, 0.002, 60.0),
        adc_device_(0.35, 0.02, 5000.0, 7),
        adc_(adc_device_, adc_calibration(), 1000),
        random_(std::random_device{}()) {
    plant_.loads_w = o.loads;
    if (o.sensor == "ina219") {
      plant_.voltage = 24.0;
      plant_.power_factor = 1.0;
      ina_.begin();
      sensor_ = &ina_;
    } else if (o.sensor == "adc") {
      adc_device_.noise_counts = 2.0;
      adc_device_.current_third_harmonic = 0.15;
      sensor_ = &adc_;
    } else {
      sensor_ = &pzem_;
    }
  }

  static AdcCalibration adc_calibration() {
    AdcCalibration c;
    c.voltage_per_count = 0.35;
    c.current_per_count = 0.02;
    c.current_noise_floor_a = 0.05;
    return c;
  }

  Sensor& sensor() { return *sensor_; }

  // The world moves on by `seconds`; the sensors see the present load.
  void advance(double seconds) {
    std::uniform_real_distribution<double> noise(-1.0, 1.0);
    sim::Plant now = plant_;
    if (now.voltage > 100.0) {
      now.voltage += 2.0 * noise(random_);
      now.frequency += 0.05 * noise(random_);
      now.power_factor += 0.02 * noise(random_);
    }
    now.base_w *= 1.0 + 0.01 * noise(random_);
    const Measurement truth = now.truth(relays_.bits());
    pzem_device_.set_values(truth);
    pzem_device_.advance(seconds);
    ina_chip_.set_values(truth.voltage, truth.current);
    adc_device_.set_values(truth);
  }

 private:
  RelayBank& relays_;
  sim::Plant plant_;
  sim::SimulatedPzem pzem_device_;
  Pzem004t pzem_;
  sim::SimulatedIna219 ina_chip_;
  Ina219 ina_;
  sim::SyntheticAdc adc_device_;
  AdcPowerSensor adc_;
  Sensor* sensor_ = nullptr;
  std::mt19937 random_;
};

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

// The `…/ota` report of `record` for this firmware.
std::string ota_report(const std::string& version, const OtaRecord& record) {
  char report[512];
  const size_t size = serialize_ota_report(version.c_str(), record, report, sizeof report);
  return std::string(report, size);
}

void sleep_ms(uint64_t ms) {
  timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000L};
  nanosleep(&ts, nullptr);  // a signal cuts it short
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  struct sigaction action{};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a broker gone mid-write is an error code, not a death
  mosquitto_lib_init();
  host::ota_global_init();

  host::StderrLogger logger(o.verbose);
  host::PosixClock clock;
  sim::MemoryStorage memory;
  host::FileStorage files(o.state_dir);
  Storage& storage = o.state_dir.empty() ? static_cast<Storage&>(memory) : static_cast<Storage&>(files);

  EnergyCounter energy(storage);
  if (energy.begin(o.energy_kwh * 1000.0)) {
    logf(&logger, LogLevel::info, "%s: energy counter restored: %.6f kWh", o.device_id.c_str(), energy.total_kwh());
  }
  // Every start is a boot. Only a counter that persists proves a restart: in
  // memory it would be 1 at every start, so it is not sent then.
  BootCounter boot(storage);
  const bool boot_stored = boot.begin() && !o.state_dir.empty();
  if (boot_stored) {
    logf(&logger, LogLevel::info, "%s: boot %u", o.device_id.c_str(), static_cast<unsigned>(boot.count()));
  } else if (!o.state_dir.empty()) {
    logf(&logger, LogLevel::warning, "%s: the boot counter cannot be stored in %s: no `boot` in the readings",
         o.device_id.c_str(), o.state_dir.c_str());
  }
  RelayBank relays(nullptr, o.relays, 0xFFFF);  // every relay on, as the simulator
  OvercurrentCutoff cutoff(o.overcurrent_a, 0);
  Sampler sampler(energy, relays, cutoff, &logger);
  SimulatedHardware hardware(o, relays);

  SessionConfig config;
  config.prefix = o.prefix;
  config.device_id = o.device_id;
  config.interval_s = o.interval_s;
  config.offline_interval_ms = static_cast<uint32_t>(o.offline_interval_s * 1000.0);
  config.buffer_capacity = o.buffer;
  config.chunk_readings = o.chunk;
  config.chunk_bytes = kMaxBacklogBytes;
  config.backoff_initial_ms = 1000;
  config.backoff_max_ms = static_cast<uint32_t>(o.backoff_max_s * 1000.0);
  config.seed = static_cast<uint32_t>(clock.epoch_ms());
  config.boot = boot_stored ? static_cast<int64_t>(boot.count()) : -1;
  host::MosquittoTransport transport(o.broker, &logger);
  MqttSession session(config, transport, relays, clock, &logger);

  // The firmware's version and its last update, from storage (NVS on the ESP32).
  OtaRecord ota_record = OtaRecord::load(storage);
  if (ota_record.check_boot(o.firmware_version.c_str())) {
    logf(&logger, LogLevel::warning, "%s: OTA: %s", o.device_id.c_str(), ota_record.detail);
    ota_record.save(storage);
  }
  session.set_ota_report(ota_report(o.firmware_version, ota_record));
  OtaKey ota_key;
  if (!o.ota_url.empty()) {
    const std::vector<uint8_t> der = read_file(o.ota_key);
    if (!ota_key.load(der.data(), der.size())) {
      usage(("--ota-key " + o.ota_key + ": no ECDSA P-256 public key (DER)").c_str());
    }
  }
  host::FileSlot ota_slot(o.state_dir, o.ota_slot_bytes);
  bool restart = false;
  uint64_t next_ota = 0;  // the first check once connected

  const uint64_t interval_ms = static_cast<uint64_t>(o.interval_s * 1000.0 + 0.5) > 0
                                   ? static_cast<uint64_t>(o.interval_s * 1000.0 + 0.5)
                                   : 1;
  const uint64_t sample_ms = interval_ms / 2 < 1000 ? (interval_ms / 2 > 0 ? interval_ms / 2 : 1) : 1000;
  uint64_t next_sample = clock.uptime_ms();
  uint64_t last_sample = next_sample;
  uint64_t next_reading = next_sample + interval_ms;
  bool announced = false;
  std::mt19937 rssi_noise(7);

  while (!stopping) {
    uint64_t now = clock.uptime_ms();
    if (now >= next_sample) {  // sampling (the ESP32's sampling task)
      hardware.advance(static_cast<double>(now - last_sample) / 1000.0);
      last_sample = now;
      Measurement m;
      if (hardware.sensor().read(m)) {
        sampler.update(m, now);
      } else {
        sampler.failed(now);
      }
      next_sample += sample_ms;
      if (next_sample <= now) {  // fell behind (a suspended machine): skip, don't burst
        next_sample = now + sample_ms;
      }
    }
    if (now >= next_reading) {  // publishing (the ESP32's publishing task)
      Reading r = sampler.snapshot(now);
      r.timestamp_ms = clock.epoch_ms();
      r.rssi = static_cast<float>(-60 + static_cast<int>(rssi_noise() % 7) - 3);
      session.submit(r);
      next_reading += interval_ms;
      if (next_reading <= now) {
        next_reading = now + interval_ms;
      }
    }
    now = clock.uptime_ms();
    const uint64_t next = next_sample < next_reading ? next_sample : next_reading;
    const uint32_t wait = static_cast<uint32_t>(next > now ? (next - now < 20 ? next - now : 20) : 0);
    session.poll(wait);
    if (!session.online()) {
      sleep_ms(wait);
    }
    if (session.online() && !announced) {
      announced = true;
      std::printf("ESP32 meter '%s' connected to %s://%s:%d, publishing on %s every %g s (firmware core %s, %s)\n",
                  o.device_id.c_str(), o.broker.cafile.empty() ? "mqtt" : "mqtts", o.broker.host.c_str(),
                  o.broker.port, session.topics().state().c_str(), o.interval_s, o.firmware_version.c_str(),
                  hardware.sensor().name());
      std::fflush(stdout);
    }
    // Signed OTA (the ESP32's check_ota): the core decides, the slot is a file.
    if (!o.ota_url.empty() && session.online() && clock.uptime_ms() >= next_ota) {
      OtaPolicy policy;
      policy.key = &ota_key;
      policy.running_version = o.firmware_version.c_str();
      policy.allow_downgrade = o.ota_allow_downgrade;
      OtaInstaller installer(policy, ota_slot, &logger);
      host::UpdateSource source;
      source.url = o.ota_url;
      source.cafile = o.ota_cafile;
      source.device_id = o.device_id;
      source.running_version = o.firmware_version;
      const OtaResult result = host::fetch_update(source, installer, [&session] { session.poll(0); });
      if (ota_reported(result)) {
        ota_record = OtaRecord::from(installer, clock.epoch_ms());
        ota_record.save(storage);
        session.set_ota_report(ota_report(o.firmware_version, ota_record));
      }
      next_ota = clock.uptime_ms() + static_cast<uint64_t>(o.ota_interval_s * 1000.0);
      if (result == OtaResult::ok) {
        std::printf("OTA: firmware %s verified and marked bootable (%s); restarting\n", installer.target(),
                    ota_slot.bootable_path().c_str());
        std::fflush(stdout);
        restart = true;
        break;
      }
    }
  }

  session.shutdown();
  sampler.flush();
  const SessionStats& stats = session.stats();
  const std::string boot_text = boot_stored ? "boot " + std::to_string(boot.count()) : "boot not counted";
  std::fprintf(stderr,
               "intelergy-meter %s: stopped; %u states, %u backlog messages (%u readings), %u dropped, "
               "%u commands ignored, %u over-current trips, energy %.6f kWh, %s\n",
               o.device_id.c_str(), stats.states, stats.backlog_messages, stats.backlog_readings,
               static_cast<unsigned>(session.dropped()), stats.ignored_commands,
               static_cast<unsigned>(cutoff.trips()), sampler.energy_kwh(), boot_text.c_str());
  host::ota_global_cleanup();
  mosquitto_lib_cleanup();
  return restart ? kExitRestart : 0;
}
