// Link types Wireshark knows (it reads the file and names the encapsulation) but netlab decodes no
// frame of: LINKTYPE_ -> WTAP_ENCAP numbers and names, for frame.encap_type.

/** LINKTYPE_NETLINK. */
export const LINKTYPE_NETLINK = 253;
/** LINKTYPE_USER0..USER15 (DLT 147-162), WTAP_ENCAP_USER0..USER15 (45-60). */
export const LINKTYPE_USER0 = 147;
export const LINKTYPE_USER15 = 162;

export const UNDISSECTED_LINK_ENCAP: Readonly<Record<number, number>> = {
  [LINKTYPE_NETLINK]: 158,
  ...Object.fromEntries(Array.from({ length: 16 }, (_, i) => [LINKTYPE_USER0 + i, 45 + i])),
};

export const UNDISSECTED_ENCAP_NAME: Readonly<Record<number, string>> = {
  158: 'Linux Netlink',
  ...Object.fromEntries(Array.from({ length: 16 }, (_, i) => [45 + i, `USER ${i}`])),
};
