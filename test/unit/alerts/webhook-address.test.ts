import {
  checkWebhookUrl,
  EMPTY_WEBHOOK_ALLOW_LIST,
  parseWebhookAllowList,
  refusedAddressReason,
  refusedResolutionReason,
} from '../../../src/domain/alerts/webhook-address';
import { ValidationError } from '../../../src/domain/errors';

describe('webhook address classification', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['224.0.0.251', 'multicast'],
    ['ff02::fb', 'multicast'],
    ['100.64.1.1', 'carrierGradeNat'],
    ['192.0.2.10', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:a00:1::', '6to4'],
    ['2001::1', 'teredo'],
  ])('refuses %s as %s', (address, range) => {
    expect(refusedAddressReason(address, EMPTY_WEBHOOK_ALLOW_LIST)).toBe(`${address} is a ${range} address`);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8'])('allows the public address %s', (address) => {
    expect(refusedAddressReason(address, EMPTY_WEBHOOK_ALLOW_LIST)).toBeNull();
  });

  it('allows listed ranges and addresses, in either IPv4 spelling', () => {
    const allow = parseWebhookAllowList(['192.0.2.0/24', '10.0.0.7', 'fd00::/8', '[::1]']);
    expect(refusedAddressReason('192.0.2.99', allow)).toBeNull();
    expect(refusedAddressReason('::ffff:192.0.2.99', allow)).toBeNull();
    expect(refusedAddressReason('10.0.0.7', allow)).toBeNull();
    expect(refusedAddressReason('10.0.0.8', allow)).toBe('10.0.0.8 is a private address');
    expect(refusedAddressReason('fd00::5', allow)).toBeNull();
    expect(refusedAddressReason('::1', allow)).toBeNull();
    expect(refusedAddressReason('127.0.0.1', allow)).toBe('127.0.0.1 is a loopback address');
  });

  it('requires every resolved address to be allowed, unless the host name is listed', () => {
    const allow = parseWebhookAllowList(['hooks.internal.example']);
    expect(refusedResolutionReason('a.example', ['93.184.216.34', '10.0.0.1'], allow)).toBe('a.example resolves to 10.0.0.1 is a private address');
    expect(refusedResolutionReason('a.example', [], allow)).toBe('a.example does not resolve');
    expect(refusedResolutionReason('hooks.internal.example', ['10.0.0.1'], allow)).toBeNull();
  });

  it('reads odd IPv4 spellings as the address they are', () => {
    for (const url of ['http://0x7f000001/', 'http://2130706433/', 'http://127.1/', 'http://0177.0.0.01/', 'http://[::ffff:7f00:1]/']) {
      expect(() => checkWebhookUrl(url, EMPTY_WEBHOOK_ALLOW_LIST, 'input.webhookUrl')).toThrow(/loopback/);
    }
    expect(checkWebhookUrl('https://Hooks.Example.com:8443/x', EMPTY_WEBHOOK_ALLOW_LIST, 'f')).toMatchObject({
      hostname: 'hooks.example.com',
      literalAddress: null,
      port: 8443,
    });
  });

  it('refuses other schemes, credentials and overlong URLs, naming the field', () => {
    for (const url of ['file:///etc/passwd', 'gopher://a.example/', 'http://u:p@a.example/', `https://a.example/${'x'.repeat(2048)}`]) {
      expect(() => checkWebhookUrl(url, EMPTY_WEBHOOK_ALLOW_LIST, 'input.webhookUrl')).toThrow(
        expect.objectContaining({ location: { field: 'input.webhookUrl' } }),
      );
      expect(() => checkWebhookUrl(url, EMPTY_WEBHOOK_ALLOW_LIST, 'input.webhookUrl')).toThrow(ValidationError);
    }
  });

  it.each([
    ['not a url', 'input.webhookUrl "not a url" is not a URL'],
    ['ftp://a.example/', 'input.webhookUrl must be http or https'],
    ['http://u:p@a.example/', 'input.webhookUrl may not carry credentials (sign with the secret instead)'],
    [`https://a.example/${'x'.repeat(2048)}`, 'input.webhookUrl must have at most 2,048 characters'],
  ])('says what is wrong with the form of %s', (url, message) => {
    expect(() => checkWebhookUrl(url, EMPTY_WEBHOOK_ALLOW_LIST, 'input.webhookUrl')).toThrow(
      expect.objectContaining({ message, violations: [{ message, field: 'input.webhookUrl' }] }),
    );
  });

  it('names a bad allow-list entry', () => {
    expect(() => parseWebhookAllowList(['10.0.0.0/33'])).toThrow('"10.0.0.0/33" is not a CIDR range');
    expect(() => parseWebhookAllowList(['hooks_internal'])).toThrow('"hooks_internal" is neither an address, a CIDR range nor a host name');
  });
});
