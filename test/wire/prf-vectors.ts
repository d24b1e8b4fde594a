// TLS 1.2 PRF test vectors (P_SHA256 and P_SHA384, "test label") published on the IETF TLS working group list and
// transcribed by several independent public test suites.
export const PRF_SHA256 = {
  secret: '9bbe436ba940f017b17652849a71db35',
  label: 'test label',
  seed: 'a0ba9f936cda311827a6f796ffd5198c',
  length: 100,
  out: 'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
};
