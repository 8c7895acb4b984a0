import X509

extension Certificate {
    /// The subject's common name, if there is one.
    public var commonName: String? {
        for rdn in subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                if let name = String(attribute.value) { return name }
                return attribute.value.description
            }
        }
        return nil
    }
}
