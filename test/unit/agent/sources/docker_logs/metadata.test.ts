import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../../../../agent/sources/docker_logs/discovery.ts';
import { globMatcher, MetadataBuilder, parseImage } from '../../../../../agent/sources/docker_logs/metadata.ts';

const ID = 'a'.repeat(64);

describe('parseImage', () => {
  it.each([
    ['busybox', { name: 'busybox' }],
    ['shiplog-test/busybox:latest', { name: 'shiplog-test/busybox', tag: 'latest' }],
    ['registry.bank.local:5000/payments/api:2.4.1', { name: 'registry.bank.local:5000/payments/api', tag: '2.4.1' }],
    ['registry.bank.local:5000/payments/api', { name: 'registry.bank.local:5000/payments/api' }],
    ['api:1.0@sha256:0123abcd', { name: 'api', tag: '1.0' }],
    ['sha256:754aaba122c2', { name: 'sha256:754aaba122c2' }],
  ])('%s', (reference, expected) => {
    expect(parseImage(reference)).toEqual(expected);
  });
});

describe('MetadataBuilder', () => {
  const builder = new MetadataBuilder(['org.opencontainers.image.*', 'team']);
  const labels = {
    'com.docker.compose.project': 'payments',
    'com.docker.compose.service': 'api',
    'org.opencontainers.image.version': '2.4.1',
    team: 'core',
    secret_ish: 'not copied',
  };

  it('builds ECS container fields from a list entry: name without "/", image, allowed labels, service', () => {
    const meta = builder.fromList({ Id: ID, Names: ['/payments-api-1'], Image: 'payments/api:2.4.1', Labels: labels });
    expect(meta.container).toEqual({
      id: ID,
      name: 'payments-api-1',
      runtime: 'docker',
      image: { name: 'payments/api', tag: '2.4.1' },
      labels: { 'com.docker.compose.project': 'payments', 'org.opencontainers.image.version': '2.4.1', team: 'core' },
    });
    expect(meta.service).toEqual({ name: 'api' });
  });

  it('takes labels from event attributes but not the attributes that are not labels', () => {
    const meta = new MetadataBuilder(['*']).fromEvent(ID, { name: 'web', image: 'nginx:1', exitCode: '0', team: 'x' });
    expect(meta.container.labels).toEqual({ team: 'x' });
    expect(meta.name).toBe('web');
  });

  it('keeps everything but the name on rename', () => {
    const before = builder.fromList({ Id: ID, Names: ['/old'], Image: 'payments/api:2.4.1', Labels: labels });
    const after = builder.renamed(before, '/new');
    expect(after.name).toBe('new');
    expect({ ...after.container, name: 'old' }).toEqual(before.container);
    expect(after.service).toEqual(before.service);
  });

  it('freezes what events share', () => {
    const meta = builder.fromList({ Id: ID, Names: ['/x'], Labels: labels });
    expect(Object.isFrozen(meta.container)).toBe(true);
    expect(Object.isFrozen(meta.container.labels)).toBe(true);
  });
});

describe('globMatcher', () => {
  it('matches * and ? and nothing else specially', () => {
    const match = globMatcher(['com.docker.compose.*', 'app-?']);
    expect(['com.docker.compose.project', 'app-1'].every(match)).toBe(true);
    expect(['comXdocker.compose.project', 'app-12', 'xcom.docker.compose.a'].some(match)).toBe(false);
    expect(globMatcher([])('anything')).toBe(false);
  });
});

describe('parseEvent', () => {
  it('reads a container event from the events stream', () => {
    const line = JSON.stringify({
      Type: 'container',
      Action: 'rename',
      Actor: { ID, Attributes: { name: 'new', oldName: '/old' } },
      time: 1795623701,
    });
    expect(parseEvent(line)).toEqual({ action: 'rename', id: ID, attributes: { name: 'new', oldName: '/old' } });
  });

  it.each([
    ['not json'],
    [''],
    [JSON.stringify({ Type: 'image', Action: 'pull', Actor: { ID } })],
    [JSON.stringify({ Type: 'container', Action: 'exec_start: sh', Actor: { ID } })],
  ])('ignores %j', (line) => {
    expect(parseEvent(line)).toBeUndefined();
  });
});
