// Zeek's `likely_server_ports`: the ports its analyzers register (Analyzer::register_for_ports,
// scripts/base/frameworks/analyzer/main.zeek). Used like Zeek's TCPAnalyzer::WantConnection to
// orient a flow whose SYN was not captured. anchors.md §4.1.
export const ZEEK_LIKELY_SERVER_PORTS: ReadonlySet<number> = new Set([
  // HTTP
  80, 81, 631, 1080, 3128, 8000, 8080, 8888,
  // SSL/TLS
  443, 465, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223,
  // FTP, SSH, SMTP, POP3, IMAP, DNS
  21, 2811, 22, 25, 587, 110, 143, 53, 5353, 5355,
  // LDAP, Kerberos, SMB, DCE-RPC, RDP, SIP, XMPP, IRC, MySQL, Postgres, Redis, MQTT, RADIUS, SNMP, NTP, syslog
  389, 3268, 88, 750, 139, 445, 135, 3389, 5060, 5222, 5269, 6666, 6667, 6668, 6669, 1434, 3306, 5432,
  6379, 1883, 1812, 161, 162, 123, 514,
]);
