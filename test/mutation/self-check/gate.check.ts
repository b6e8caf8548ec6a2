import { describe, expect, it } from 'vitest';
import { mayProceed } from './gate.ts';

// Nested suites on purpose: the full test name is "self-check > mayProceed > ...",
// the shape a runner that filters tests by name must get right.
describe('self-check', () => {
  describe('mayProceed', () => {
    it('lets a healthy step within its budget go on', () => {
      // Prepare
      const errors = 1;

      // Act
      const result = mayProceed(errors, 2, true);

      // Assess
      expect(result).toBe(true);
    });

    it('lets a healthy step exactly at its budget go on', () => {
      // Prepare
      const errors = 2;

      // Act
      const result = mayProceed(errors, 2, true);

      // Assess
      expect(result).toBe(true);
    });

    it('stops a step one error over its budget', () => {
      // Prepare
      const errors = 3;

      // Act
      const result = mayProceed(errors, 2, true);

      // Assess
      expect(result).toBe(false);
    });

    it('stops an unhealthy step even within its budget', () => {
      // Prepare
      const errors = 0;

      // Act
      const result = mayProceed(errors, 2, false);

      // Assess
      expect(result).toBe(false);
    });
  });
});
