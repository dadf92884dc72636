// Copy this file to include/secrets.h (git-ignored) and fill it in.
#pragma once

#define WIFI_SSID "your-wifi"
#define WIFI_PASSWORD "your-wifi-password"

#define MQTT_HOST "192.168.1.10"  // the broker Home Assistant's MQTT integration uses
#define MQTT_PORT 1883            // 8883 with -DMETER_TLS
#define MQTT_USERNAME ""          // empty: anonymous; with mosquitto/acl: DEVICE_ID
#define MQTT_PASSWORD ""          // this meter's own (mosquitto_passwd), no other's
