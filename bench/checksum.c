/* RFC 1071 internet checksum, the textbook loop, for `npm run bench` to compare against.
   Usage: checksum-c BYTES ROUNDS -> prints "checksum GBps" */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint16_t cksum(const uint8_t *p, size_t n) {
  uint32_t sum = 0;
  while (n > 1) { sum += (uint32_t)((p[0] << 8) | p[1]); p += 2; n -= 2; }
  if (n) sum += (uint32_t)(p[0] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? strtoul(argv[1], 0, 10) : 1500;
  long rounds = argc > 2 ? strtol(argv[2], 0, 10) : 1000000;
  uint8_t *buf = malloc(n);
  for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)(i * 131 + 7);
  struct timespec a, b;
  volatile uint32_t sink = 0;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long r = 0; r < rounds; r++) { buf[r % n] ^= 1; sink += cksum(buf, n); }
  clock_gettime(CLOCK_MONOTONIC, &b);
  double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
  printf("%u %.3f\n", (unsigned)sink, (double)n * rounds / s / 1e9);
  free(buf);
  return 0;
}
