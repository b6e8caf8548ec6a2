import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { asPercentages, forwardAction, forwardWeights, withForwardWeights } from '../../../lambdas/elb/forward-weights.ts';
import { CHECKOUT_CANARY_TG, CHECKOUT_TG } from '../../support/lambda-fixtures.ts';

const OIDC: Action = {
  Type: 'authenticate-oidc',
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: 'https://idp.example.com',
    AuthorizationEndpoint: 'https://idp.example.com/authorize',
    TokenEndpoint: 'https://idp.example.com/token',
    UserInfoEndpoint: 'https://idp.example.com/userinfo',
    ClientId: 'deployer-tests',
  },
};
const STICKINESS = { Enabled: true, DurationSeconds: 3600 };

describe('forward weights', () => {
  it('reads the weights of a weighted forward action', () => {
    // Prepare
    const actions: Action[] = [
      OIDC,
      { Type: 'forward', Order: 2, ForwardConfig: { TargetGroups: [{ TargetGroupArn: CHECKOUT_TG, Weight: 90 }, { TargetGroupArn: CHECKOUT_CANARY_TG, Weight: 10 }] } },
    ];

    // Act
    const weights = forwardWeights(actions);

    // Assess
    expect(weights).toEqual({ [CHECKOUT_TG]: 90, [CHECKOUT_CANARY_TG]: 10 });
  });

  it('counts a forward to a single target group without ForwardConfig as weight 1, as ELB reports it', () => {
    // Prepare
    const actions: Action[] = [{ Type: 'forward', TargetGroupArn: CHECKOUT_TG }];

    // Act
    const weights = forwardWeights(actions);

    // Assess
    expect(weights).toEqual({ [CHECKOUT_TG]: 1 });
  });

  it('counts a target group listed without a weight as weight 1', () => {
    // Prepare
    const actions: Action[] = [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: CHECKOUT_TG }] } }];

    // Act
    const weights = forwardWeights(actions);

    // Assess
    expect(weights).toEqual({ [CHECKOUT_TG]: 1 });
  });

  it('finds no weights where nothing forwards (a fixed response or a redirect)', () => {
    // Prepare
    const actions: Action[] = [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }];

    // Act
    const weights = forwardWeights(actions);

    // Assess
    expect(weights).toEqual({});
    expect(forwardAction(actions)).toBeUndefined();
  });

  it('sets new weights on the forward action only, keeping authentication, order and stickiness', () => {
    // Prepare
    const actions: Action[] = [
      OIDC,
      { Type: 'forward', Order: 2, TargetGroupArn: CHECKOUT_TG, ForwardConfig: { TargetGroups: [{ TargetGroupArn: CHECKOUT_TG, Weight: 1 }], TargetGroupStickinessConfig: STICKINESS } },
    ];

    // Act
    const replaced = withForwardWeights(actions, { [CHECKOUT_TG]: 75, [CHECKOUT_CANARY_TG]: 25 });

    // Assess: the OIDC action keeps its existing client secret (Describe never returns it, Modify needs it otherwise).
    expect(replaced).toEqual([
      { ...OIDC, AuthenticateOidcConfig: { ...OIDC.AuthenticateOidcConfig!, UseExistingClientSecret: true } },
      {
        Type: 'forward',
        Order: 2,
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: CHECKOUT_TG, Weight: 75 },
            { TargetGroupArn: CHECKOUT_CANARY_TG, Weight: 25 },
          ],
          TargetGroupStickinessConfig: STICKINESS,
        },
      },
    ]);
    // The input is left as it was.
    expect(forwardWeights(actions)).toEqual({ [CHECKOUT_TG]: 1 });
  });

  it('never turns another action into a forward', () => {
    // Prepare
    const actions: Action[] = [{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301', Protocol: 'HTTPS' } }];

    // Act
    const replace = () => withForwardWeights(actions, { [CHECKOUT_TG]: 1 });

    // Assess
    expect(replace).toThrow('no forward action to set weights on');
  });

  it.each([
    [{ a: 1 }, { a: 100 }],
    [{ a: 3, b: 1 }, { a: 75, b: 25 }],
    [{ a: 90, b: 10 }, { a: 90, b: 10 }],
    [{ a: 0, b: 0 }, { a: 0, b: 0 }],
    [{ a: 2, b: 1 }, { a: 67, b: 33 }],
  ])('reads %j as percentages %j', (weights, percentages) => {
    // Prepare
    const input = weights;

    // Act
    const result = asPercentages(input);

    // Assess
    expect(result).toEqual(percentages);
  });
});
