import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../lambdas/shared/duration.ts';

describe('durations', () => {
  it.each([
    ['30s', 30],
    ['5m', 300],
    ['2h', 7200],
    ['1h30m', 5400],
    ['1h0m5s', 3605],
    [' 5m ', 300],
    ['0s', 0],
  ])('reads %j as %i seconds', (text, seconds) => {
    // Prepare
    const input = text;

    // Act
    const result = parseDuration(input);

    // Assess
    expect(result).toBe(seconds);
  });

  it.each(['', '   ', '5x', '5 m', '1d', 'm5', '30s5m', '-5m', '1.5h'])('does not read %j as a duration', (text) => {
    // Prepare
    const input = text;

    // Act
    const result = parseDuration(input);

    // Assess
    expect(result).toBeUndefined();
  });

  it.each([
    [0, '0s'],
    [-3, '0s'],
    [45, '45s'],
    [330, '5m30s'],
    [7200, '2h'],
    [5400, '1h30m'],
    [129_600, '36h'],
    [3661, '1h1m1s'],
  ])('writes %i seconds as %j', (seconds, text) => {
    // Prepare
    const input = seconds;

    // Act
    const result = formatDuration(input);

    // Assess
    expect(result).toBe(text);
  });

  it.each([1, 59, 60, 61, 3599, 3600, 86_399, 86_400, 129_601])('reads back what it writes (%i s)', (seconds) => {
    // Prepare
    const text = formatDuration(seconds);

    // Act
    const result = parseDuration(text);

    // Assess
    expect(result).toBe(seconds);
  });
});
