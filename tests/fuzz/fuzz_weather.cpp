// Chapter 04's weather file, as the forecast example reads it: read_weather, then the chronological
// split and the standardization (prepare_forecast). The split dates are set so that a month of days
// reaches all three parts: validation from 2014/01/10, test from 2014/01/20, windows of 3 days.
#include <cstdio>

#include "04-rnn/weather.hpp"
#include "tests/fuzz/targets.hpp"

namespace dlfs::fuzz {

bool fuzz_weather(Bytes bytes) {
  const std::string path = write_file("weather.csv", bytes);
  WeatherDays days;
  if (!loads(path, [&] { days = read_weather(path); })) return false;
  return loads(path, [&] {
    const ForecastSplit split = chronological_split(days, 3, {2014, 1, 10}, {2014, 1, 20});
    const ForecastData data = prepare_forecast(days, split, 3);
    (void)data;
  });
}

void seed_weather(const std::string& dir) {
  // January 2014 as seattle-weather.csv lays it out (its columns, its date format), made up values.
  std::string text = "date,precipitation,temp_max,temp_min,wind,weather\n";
  const char* weather[] = {"rain", "sun", "drizzle", "fog", "snow"};
  for (int day = 1; day <= 31; ++day) {
    char row[96];
    std::snprintf(row, sizeof row, "2014/01/%02d,%.1f,%.1f,%.1f,%.1f,%s\n", day, day % 4 == 0 ? 5.3 : 0.0,
                  8.0 + day % 5 * 0.6, 2.0 + day % 3 * 0.8, 1.5 + day % 7 * 0.4, weather[day % 5]);
    text += row;
  }
  write_bytes(dir + "/january-2014.csv", text);
  // The same columns in another order, ISO dates, quoted fields, Windows line ends.
  text = "weather,wind,temp_min,temp_max,precipitation,date\r\n";
  for (int day = 6; day <= 22; ++day) {
    char row[96];
    std::snprintf(row, sizeof row, "\"%s\",%.1f,%.1f,%.1f,%.1f,2014-01-%02d\r\n", day % 3 ? "sun" : "rain, heavy",
                  2.0 + day % 4 * 0.5, 1.0 + day % 2, 7.5 + day % 6 * 0.3, day % 3 ? 0.0 : 12.5, day);
    text += row;
  }
  write_bytes(dir + "/iso-dates.csv", text);
}

}  // namespace dlfs::fuzz
