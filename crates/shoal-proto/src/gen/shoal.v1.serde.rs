impl serde::Serialize for ApiKeyInfo {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.id.is_empty() {
            len += 1;
        }
        if !self.name.is_empty() {
            len += 1;
        }
        if self.role != 0 {
            len += 1;
        }
        if self.prefix.is_some() {
            len += 1;
        }
        if self.created_at_ms != 0 {
            len += 1;
        }
        if self.expires_at_ms.is_some() {
            len += 1;
        }
        if self.revoked_at_ms.is_some() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.ApiKeyInfo", len)?;
        if !self.id.is_empty() {
            struct_ser.serialize_field("id", &self.id)?;
        }
        if !self.name.is_empty() {
            struct_ser.serialize_field("name", &self.name)?;
        }
        if self.role != 0 {
            let v = ApiKeyRole::try_from(self.role)
                .map_err(|_| serde::ser::Error::custom(format!("Invalid variant {}", self.role)))?;
            struct_ser.serialize_field("role", &v)?;
        }
        if let Some(v) = self.prefix.as_ref() {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("prefix", pbjson::private::base64::encode(&v).as_str())?;
        }
        if self.created_at_ms != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("createdAtMs", ToString::to_string(&self.created_at_ms).as_str())?;
        }
        if let Some(v) = self.expires_at_ms.as_ref() {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("expiresAtMs", ToString::to_string(&v).as_str())?;
        }
        if let Some(v) = self.revoked_at_ms.as_ref() {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("revokedAtMs", ToString::to_string(&v).as_str())?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for ApiKeyInfo {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "id",
            "name",
            "role",
            "prefix",
            "created_at_ms",
            "createdAtMs",
            "expires_at_ms",
            "expiresAtMs",
            "revoked_at_ms",
            "revokedAtMs",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Id,
            Name,
            Role,
            Prefix,
            CreatedAtMs,
            ExpiresAtMs,
            RevokedAtMs,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "id" => Ok(GeneratedField::Id),
                            "name" => Ok(GeneratedField::Name),
                            "role" => Ok(GeneratedField::Role),
                            "prefix" => Ok(GeneratedField::Prefix),
                            "createdAtMs" | "created_at_ms" => Ok(GeneratedField::CreatedAtMs),
                            "expiresAtMs" | "expires_at_ms" => Ok(GeneratedField::ExpiresAtMs),
                            "revokedAtMs" | "revoked_at_ms" => Ok(GeneratedField::RevokedAtMs),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ApiKeyInfo;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.ApiKeyInfo")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<ApiKeyInfo, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut id__ = None;
                let mut name__ = None;
                let mut role__ = None;
                let mut prefix__ = None;
                let mut created_at_ms__ = None;
                let mut expires_at_ms__ = None;
                let mut revoked_at_ms__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Id => {
                            if id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("id"));
                            }
                            id__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Name => {
                            if name__.is_some() {
                                return Err(serde::de::Error::duplicate_field("name"));
                            }
                            name__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Role => {
                            if role__.is_some() {
                                return Err(serde::de::Error::duplicate_field("role"));
                            }
                            role__ = Some(map_.next_value::<ApiKeyRole>()? as i32);
                        }
                        GeneratedField::Prefix => {
                            if prefix__.is_some() {
                                return Err(serde::de::Error::duplicate_field("prefix"));
                            }
                            prefix__ = 
                                map_.next_value::<::std::option::Option<::pbjson::private::BytesDeserialize<_>>>()?.map(|x| x.0)
                            ;
                        }
                        GeneratedField::CreatedAtMs => {
                            if created_at_ms__.is_some() {
                                return Err(serde::de::Error::duplicate_field("createdAtMs"));
                            }
                            created_at_ms__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::ExpiresAtMs => {
                            if expires_at_ms__.is_some() {
                                return Err(serde::de::Error::duplicate_field("expiresAtMs"));
                            }
                            expires_at_ms__ = 
                                map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0)
                            ;
                        }
                        GeneratedField::RevokedAtMs => {
                            if revoked_at_ms__.is_some() {
                                return Err(serde::de::Error::duplicate_field("revokedAtMs"));
                            }
                            revoked_at_ms__ = 
                                map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0)
                            ;
                        }
                    }
                }
                Ok(ApiKeyInfo {
                    id: id__.unwrap_or_default(),
                    name: name__.unwrap_or_default(),
                    role: role__.unwrap_or_default(),
                    prefix: prefix__,
                    created_at_ms: created_at_ms__.unwrap_or_default(),
                    expires_at_ms: expires_at_ms__,
                    revoked_at_ms: revoked_at_ms__,
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.ApiKeyInfo", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for ApiKeyRole {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        let variant = match self {
            Self::Unspecified => "API_KEY_ROLE_UNSPECIFIED",
            Self::Read => "API_KEY_ROLE_READ",
            Self::Write => "API_KEY_ROLE_WRITE",
            Self::Admin => "API_KEY_ROLE_ADMIN",
        };
        serializer.serialize_str(variant)
    }
}
impl<'de> serde::Deserialize<'de> for ApiKeyRole {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "API_KEY_ROLE_UNSPECIFIED",
            "API_KEY_ROLE_READ",
            "API_KEY_ROLE_WRITE",
            "API_KEY_ROLE_ADMIN",
        ];

        struct GeneratedVisitor;

        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ApiKeyRole;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(formatter, "expected one of: {:?}", &FIELDS)
            }

            fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E>
            where
                E: serde::de::Error,
            {
                i32::try_from(v)
                    .ok()
                    .and_then(|x| x.try_into().ok())
                    .ok_or_else(|| {
                        serde::de::Error::invalid_value(serde::de::Unexpected::Signed(v), &self)
                    })
            }

            fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E>
            where
                E: serde::de::Error,
            {
                i32::try_from(v)
                    .ok()
                    .and_then(|x| x.try_into().ok())
                    .ok_or_else(|| {
                        serde::de::Error::invalid_value(serde::de::Unexpected::Unsigned(v), &self)
                    })
            }

            fn visit_str<E>(self, value: &str) -> std::result::Result<Self::Value, E>
            where
                E: serde::de::Error,
            {
                match value {
                    "API_KEY_ROLE_UNSPECIFIED" => Ok(ApiKeyRole::Unspecified),
                    "API_KEY_ROLE_READ" => Ok(ApiKeyRole::Read),
                    "API_KEY_ROLE_WRITE" => Ok(ApiKeyRole::Write),
                    "API_KEY_ROLE_ADMIN" => Ok(ApiKeyRole::Admin),
                    _ => Err(serde::de::Error::unknown_variant(value, FIELDS)),
                }
            }
        }
        deserializer.deserialize_any(GeneratedVisitor)
    }
}
impl serde::Serialize for AuditEntry {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.at_ms != 0 {
            len += 1;
        }
        if self.node_id != 0 {
            len += 1;
        }
        if !self.who.is_empty() {
            len += 1;
        }
        if !self.rpc.is_empty() {
            len += 1;
        }
        if !self.outcome.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.AuditEntry", len)?;
        if self.at_ms != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("atMs", ToString::to_string(&self.at_ms).as_str())?;
        }
        if self.node_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("nodeId", ToString::to_string(&self.node_id).as_str())?;
        }
        if !self.who.is_empty() {
            struct_ser.serialize_field("who", &self.who)?;
        }
        if !self.rpc.is_empty() {
            struct_ser.serialize_field("rpc", &self.rpc)?;
        }
        if !self.outcome.is_empty() {
            struct_ser.serialize_field("outcome", &self.outcome)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for AuditEntry {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "at_ms",
            "atMs",
            "node_id",
            "nodeId",
            "who",
            "rpc",
            "outcome",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            AtMs,
            NodeId,
            Who,
            Rpc,
            Outcome,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "atMs" | "at_ms" => Ok(GeneratedField::AtMs),
                            "nodeId" | "node_id" => Ok(GeneratedField::NodeId),
                            "who" => Ok(GeneratedField::Who),
                            "rpc" => Ok(GeneratedField::Rpc),
                            "outcome" => Ok(GeneratedField::Outcome),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = AuditEntry;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.AuditEntry")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<AuditEntry, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut at_ms__ = None;
                let mut node_id__ = None;
                let mut who__ = None;
                let mut rpc__ = None;
                let mut outcome__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::AtMs => {
                            if at_ms__.is_some() {
                                return Err(serde::de::Error::duplicate_field("atMs"));
                            }
                            at_ms__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::NodeId => {
                            if node_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("nodeId"));
                            }
                            node_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Who => {
                            if who__.is_some() {
                                return Err(serde::de::Error::duplicate_field("who"));
                            }
                            who__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Rpc => {
                            if rpc__.is_some() {
                                return Err(serde::de::Error::duplicate_field("rpc"));
                            }
                            rpc__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Outcome => {
                            if outcome__.is_some() {
                                return Err(serde::de::Error::duplicate_field("outcome"));
                            }
                            outcome__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(AuditEntry {
                    at_ms: at_ms__.unwrap_or_default(),
                    node_id: node_id__.unwrap_or_default(),
                    who: who__.unwrap_or_default(),
                    rpc: rpc__.unwrap_or_default(),
                    outcome: outcome__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.AuditEntry", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for BatchError {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.code != 0 {
            len += 1;
        }
        if !self.message.is_empty() {
            len += 1;
        }
        if self.not_applied {
            len += 1;
        }
        if self.current_version.is_some() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.BatchError", len)?;
        if self.code != 0 {
            struct_ser.serialize_field("code", &self.code)?;
        }
        if !self.message.is_empty() {
            struct_ser.serialize_field("message", &self.message)?;
        }
        if self.not_applied {
            struct_ser.serialize_field("notApplied", &self.not_applied)?;
        }
        if let Some(v) = self.current_version.as_ref() {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("currentVersion", ToString::to_string(&v).as_str())?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for BatchError {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "code",
            "message",
            "not_applied",
            "notApplied",
            "current_version",
            "currentVersion",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Code,
            Message,
            NotApplied,
            CurrentVersion,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "code" => Ok(GeneratedField::Code),
                            "message" => Ok(GeneratedField::Message),
                            "notApplied" | "not_applied" => Ok(GeneratedField::NotApplied),
                            "currentVersion" | "current_version" => Ok(GeneratedField::CurrentVersion),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = BatchError;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.BatchError")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<BatchError, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut code__ = None;
                let mut message__ = None;
                let mut not_applied__ = None;
                let mut current_version__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Code => {
                            if code__.is_some() {
                                return Err(serde::de::Error::duplicate_field("code"));
                            }
                            code__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Message => {
                            if message__.is_some() {
                                return Err(serde::de::Error::duplicate_field("message"));
                            }
                            message__ = Some(map_.next_value()?);
                        }
                        GeneratedField::NotApplied => {
                            if not_applied__.is_some() {
                                return Err(serde::de::Error::duplicate_field("notApplied"));
                            }
                            not_applied__ = Some(map_.next_value()?);
                        }
                        GeneratedField::CurrentVersion => {
                            if current_version__.is_some() {
                                return Err(serde::de::Error::duplicate_field("currentVersion"));
                            }
                            current_version__ = 
                                map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0)
                            ;
                        }
                    }
                }
                Ok(BatchError {
                    code: code__.unwrap_or_default(),
                    message: message__.unwrap_or_default(),
                    not_applied: not_applied__.unwrap_or_default(),
                    current_version: current_version__,
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.BatchError", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for BatchOperation {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.operation.is_some() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.BatchOperation", len)?;
        if let Some(v) = self.operation.as_ref() {
            match v {
                batch_operation::Operation::Put(v) => {
                    struct_ser.serialize_field("put", v)?;
                }
                batch_operation::Operation::Get(v) => {
                    struct_ser.serialize_field("get", v)?;
                }
                batch_operation::Operation::Delete(v) => {
                    struct_ser.serialize_field("delete", v)?;
                }
                batch_operation::Operation::Touch(v) => {
                    struct_ser.serialize_field("touch", v)?;
                }
            }
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for BatchOperation {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "put",
            "get",
            "delete",
            "touch",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Put,
            Get,
            Delete,
            Touch,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "put" => Ok(GeneratedField::Put),
                            "get" => Ok(GeneratedField::Get),
                            "delete" => Ok(GeneratedField::Delete),
                            "touch" => Ok(GeneratedField::Touch),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = BatchOperation;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.BatchOperation")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<BatchOperation, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut operation__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Put => {
                            if operation__.is_some() {
                                return Err(serde::de::Error::duplicate_field("put"));
                            }
                            operation__ = map_.next_value::<::std::option::Option<_>>()?.map(batch_operation::Operation::Put)
;
                        }
                        GeneratedField::Get => {
                            if operation__.is_some() {
                                return Err(serde::de::Error::duplicate_field("get"));
                            }
                            operation__ = map_.next_value::<::std::option::Option<_>>()?.map(batch_operation::Operation::Get)
;
                        }
                        GeneratedField::Delete => {
                            if operation__.is_some() {
                                return Err(serde::de::Error::duplicate_field("delete"));
                            }
                            operation__ = map_.next_value::<::std::option::Option<_>>()?.map(batch_operation::Operation::Delete)
;
                        }
                        GeneratedField::Touch => {
                            if operation__.is_some() {
                                return Err(serde::de::Error::duplicate_field("touch"));
                            }
                            operation__ = map_.next_value::<::std::option::Option<_>>()?.map(batch_operation::Operation::Touch)
;
                        }
                    }
                }
                Ok(BatchOperation {
                    operation: operation__,
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.BatchOperation", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for BatchRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.operations.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.BatchRequest", len)?;
        if !self.operations.is_empty() {
            struct_ser.serialize_field("operations", &self.operations)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for BatchRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "operations",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Operations,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "operations" => Ok(GeneratedField::Operations),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = BatchRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.BatchRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<BatchRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut operations__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Operations => {
                            if operations__.is_some() {
                                return Err(serde::de::Error::duplicate_field("operations"));
                            }
                            operations__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(BatchRequest {
                    operations: operations__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.BatchRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for BatchResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.results.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.BatchResponse", len)?;
        if !self.results.is_empty() {
            struct_ser.serialize_field("results", &self.results)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for BatchResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "results",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Results,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "results" => Ok(GeneratedField::Results),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = BatchResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.BatchResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<BatchResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut results__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Results => {
                            if results__.is_some() {
                                return Err(serde::de::Error::duplicate_field("results"));
                            }
                            results__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(BatchResponse {
                    results: results__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.BatchResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for BatchResult {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.result.is_some() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.BatchResult", len)?;
        if let Some(v) = self.result.as_ref() {
            match v {
                batch_result::Result::Put(v) => {
                    struct_ser.serialize_field("put", v)?;
                }
                batch_result::Result::Get(v) => {
                    struct_ser.serialize_field("get", v)?;
                }
                batch_result::Result::Delete(v) => {
                    struct_ser.serialize_field("delete", v)?;
                }
                batch_result::Result::Touch(v) => {
                    struct_ser.serialize_field("touch", v)?;
                }
                batch_result::Result::Error(v) => {
                    struct_ser.serialize_field("error", v)?;
                }
            }
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for BatchResult {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "put",
            "get",
            "delete",
            "touch",
            "error",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Put,
            Get,
            Delete,
            Touch,
            Error,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "put" => Ok(GeneratedField::Put),
                            "get" => Ok(GeneratedField::Get),
                            "delete" => Ok(GeneratedField::Delete),
                            "touch" => Ok(GeneratedField::Touch),
                            "error" => Ok(GeneratedField::Error),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = BatchResult;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.BatchResult")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<BatchResult, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut result__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Put => {
                            if result__.is_some() {
                                return Err(serde::de::Error::duplicate_field("put"));
                            }
                            result__ = map_.next_value::<::std::option::Option<_>>()?.map(batch_result::Result::Put)
;
                        }
                        GeneratedField::Get => {
                            if result__.is_some() {
                                return Err(serde::de::Error::duplicate_field("get"));
                            }
                            result__ = map_.next_value::<::std::option::Option<_>>()?.map(batch_result::Result::Get)
;
                        }
                        GeneratedField::Delete => {
                            if result__.is_some() {
                                return Err(serde::de::Error::duplicate_field("delete"));
                            }
                            result__ = map_.next_value::<::std::option::Option<_>>()?.map(batch_result::Result::Delete)
;
                        }
                        GeneratedField::Touch => {
                            if result__.is_some() {
                                return Err(serde::de::Error::duplicate_field("touch"));
                            }
                            result__ = map_.next_value::<::std::option::Option<_>>()?.map(batch_result::Result::Touch)
;
                        }
                        GeneratedField::Error => {
                            if result__.is_some() {
                                return Err(serde::de::Error::duplicate_field("error"));
                            }
                            result__ = map_.next_value::<::std::option::Option<_>>()?.map(batch_result::Result::Error)
;
                        }
                    }
                }
                Ok(BatchResult {
                    result: result__,
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.BatchResult", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for ChangeShardReplicasRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.shard_id != 0 {
            len += 1;
        }
        if self.change.is_some() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.ChangeShardReplicasRequest", len)?;
        if self.shard_id != 0 {
            struct_ser.serialize_field("shardId", &self.shard_id)?;
        }
        if let Some(v) = self.change.as_ref() {
            match v {
                change_shard_replicas_request::Change::AddLearner(v) => {
                    struct_ser.serialize_field("addLearner", v)?;
                }
                change_shard_replicas_request::Change::SetVoters(v) => {
                    struct_ser.serialize_field("setVoters", v)?;
                }
                change_shard_replicas_request::Change::RemoveLearner(v) => {
                    #[allow(clippy::needless_borrow)]
                    #[allow(clippy::needless_borrows_for_generic_args)]
                    struct_ser.serialize_field("removeLearner", ToString::to_string(&v).as_str())?;
                }
            }
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for ChangeShardReplicasRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "shard_id",
            "shardId",
            "add_learner",
            "addLearner",
            "set_voters",
            "setVoters",
            "remove_learner",
            "removeLearner",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            ShardId,
            AddLearner,
            SetVoters,
            RemoveLearner,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "shardId" | "shard_id" => Ok(GeneratedField::ShardId),
                            "addLearner" | "add_learner" => Ok(GeneratedField::AddLearner),
                            "setVoters" | "set_voters" => Ok(GeneratedField::SetVoters),
                            "removeLearner" | "remove_learner" => Ok(GeneratedField::RemoveLearner),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ChangeShardReplicasRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.ChangeShardReplicasRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<ChangeShardReplicasRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut shard_id__ = None;
                let mut change__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::ShardId => {
                            if shard_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("shardId"));
                            }
                            shard_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::AddLearner => {
                            if change__.is_some() {
                                return Err(serde::de::Error::duplicate_field("addLearner"));
                            }
                            change__ = map_.next_value::<::std::option::Option<_>>()?.map(change_shard_replicas_request::Change::AddLearner)
;
                        }
                        GeneratedField::SetVoters => {
                            if change__.is_some() {
                                return Err(serde::de::Error::duplicate_field("setVoters"));
                            }
                            change__ = map_.next_value::<::std::option::Option<_>>()?.map(change_shard_replicas_request::Change::SetVoters)
;
                        }
                        GeneratedField::RemoveLearner => {
                            if change__.is_some() {
                                return Err(serde::de::Error::duplicate_field("removeLearner"));
                            }
                            change__ = map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| change_shard_replicas_request::Change::RemoveLearner(x.0));
                        }
                    }
                }
                Ok(ChangeShardReplicasRequest {
                    shard_id: shard_id__.unwrap_or_default(),
                    change: change__,
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.ChangeShardReplicasRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for ChangeShardReplicasResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.leader_id != 0 {
            len += 1;
        }
        if self.last_log_index != 0 {
            len += 1;
        }
        if !self.members.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.ChangeShardReplicasResponse", len)?;
        if self.leader_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("leaderId", ToString::to_string(&self.leader_id).as_str())?;
        }
        if self.last_log_index != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("lastLogIndex", ToString::to_string(&self.last_log_index).as_str())?;
        }
        if !self.members.is_empty() {
            struct_ser.serialize_field("members", &self.members)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for ChangeShardReplicasResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "leader_id",
            "leaderId",
            "last_log_index",
            "lastLogIndex",
            "members",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            LeaderId,
            LastLogIndex,
            Members,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "leaderId" | "leader_id" => Ok(GeneratedField::LeaderId),
                            "lastLogIndex" | "last_log_index" => Ok(GeneratedField::LastLogIndex),
                            "members" => Ok(GeneratedField::Members),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ChangeShardReplicasResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.ChangeShardReplicasResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<ChangeShardReplicasResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut leader_id__ = None;
                let mut last_log_index__ = None;
                let mut members__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::LeaderId => {
                            if leader_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("leaderId"));
                            }
                            leader_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::LastLogIndex => {
                            if last_log_index__.is_some() {
                                return Err(serde::de::Error::duplicate_field("lastLogIndex"));
                            }
                            last_log_index__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Members => {
                            if members__.is_some() {
                                return Err(serde::de::Error::duplicate_field("members"));
                            }
                            members__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(ChangeShardReplicasResponse {
                    leader_id: leader_id__.unwrap_or_default(),
                    last_log_index: last_log_index__.unwrap_or_default(),
                    members: members__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.ChangeShardReplicasResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for CheckConsistencyRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.shard_id.is_some() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.CheckConsistencyRequest", len)?;
        if let Some(v) = self.shard_id.as_ref() {
            struct_ser.serialize_field("shardId", v)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for CheckConsistencyRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "shard_id",
            "shardId",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            ShardId,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "shardId" | "shard_id" => Ok(GeneratedField::ShardId),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = CheckConsistencyRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.CheckConsistencyRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<CheckConsistencyRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut shard_id__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::ShardId => {
                            if shard_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("shardId"));
                            }
                            shard_id__ = 
                                map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0)
                            ;
                        }
                    }
                }
                Ok(CheckConsistencyRequest {
                    shard_id: shard_id__,
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.CheckConsistencyRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for CheckConsistencyResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.shards.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.CheckConsistencyResponse", len)?;
        if !self.shards.is_empty() {
            struct_ser.serialize_field("shards", &self.shards)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for CheckConsistencyResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "shards",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Shards,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "shards" => Ok(GeneratedField::Shards),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = CheckConsistencyResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.CheckConsistencyResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<CheckConsistencyResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut shards__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Shards => {
                            if shards__.is_some() {
                                return Err(serde::de::Error::duplicate_field("shards"));
                            }
                            shards__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(CheckConsistencyResponse {
                    shards: shards__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.CheckConsistencyResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for Consistency {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        let variant = match self {
            Self::Linearizable => "CONSISTENCY_LINEARIZABLE",
            Self::Stale => "CONSISTENCY_STALE",
        };
        serializer.serialize_str(variant)
    }
}
impl<'de> serde::Deserialize<'de> for Consistency {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "CONSISTENCY_LINEARIZABLE",
            "CONSISTENCY_STALE",
        ];

        struct GeneratedVisitor;

        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = Consistency;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(formatter, "expected one of: {:?}", &FIELDS)
            }

            fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E>
            where
                E: serde::de::Error,
            {
                i32::try_from(v)
                    .ok()
                    .and_then(|x| x.try_into().ok())
                    .ok_or_else(|| {
                        serde::de::Error::invalid_value(serde::de::Unexpected::Signed(v), &self)
                    })
            }

            fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E>
            where
                E: serde::de::Error,
            {
                i32::try_from(v)
                    .ok()
                    .and_then(|x| x.try_into().ok())
                    .ok_or_else(|| {
                        serde::de::Error::invalid_value(serde::de::Unexpected::Unsigned(v), &self)
                    })
            }

            fn visit_str<E>(self, value: &str) -> std::result::Result<Self::Value, E>
            where
                E: serde::de::Error,
            {
                match value {
                    "CONSISTENCY_LINEARIZABLE" => Ok(Consistency::Linearizable),
                    "CONSISTENCY_STALE" => Ok(Consistency::Stale),
                    _ => Err(serde::de::Error::unknown_variant(value, FIELDS)),
                }
            }
        }
        deserializer.deserialize_any(GeneratedVisitor)
    }
}
impl serde::Serialize for CreateApiKeyRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.name.is_empty() {
            len += 1;
        }
        if self.role != 0 {
            len += 1;
        }
        if self.prefix.is_some() {
            len += 1;
        }
        if self.expires_in_ms != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.CreateApiKeyRequest", len)?;
        if !self.name.is_empty() {
            struct_ser.serialize_field("name", &self.name)?;
        }
        if self.role != 0 {
            let v = ApiKeyRole::try_from(self.role)
                .map_err(|_| serde::ser::Error::custom(format!("Invalid variant {}", self.role)))?;
            struct_ser.serialize_field("role", &v)?;
        }
        if let Some(v) = self.prefix.as_ref() {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("prefix", pbjson::private::base64::encode(&v).as_str())?;
        }
        if self.expires_in_ms != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("expiresInMs", ToString::to_string(&self.expires_in_ms).as_str())?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for CreateApiKeyRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "name",
            "role",
            "prefix",
            "expires_in_ms",
            "expiresInMs",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Name,
            Role,
            Prefix,
            ExpiresInMs,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "name" => Ok(GeneratedField::Name),
                            "role" => Ok(GeneratedField::Role),
                            "prefix" => Ok(GeneratedField::Prefix),
                            "expiresInMs" | "expires_in_ms" => Ok(GeneratedField::ExpiresInMs),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = CreateApiKeyRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.CreateApiKeyRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<CreateApiKeyRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut name__ = None;
                let mut role__ = None;
                let mut prefix__ = None;
                let mut expires_in_ms__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Name => {
                            if name__.is_some() {
                                return Err(serde::de::Error::duplicate_field("name"));
                            }
                            name__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Role => {
                            if role__.is_some() {
                                return Err(serde::de::Error::duplicate_field("role"));
                            }
                            role__ = Some(map_.next_value::<ApiKeyRole>()? as i32);
                        }
                        GeneratedField::Prefix => {
                            if prefix__.is_some() {
                                return Err(serde::de::Error::duplicate_field("prefix"));
                            }
                            prefix__ = 
                                map_.next_value::<::std::option::Option<::pbjson::private::BytesDeserialize<_>>>()?.map(|x| x.0)
                            ;
                        }
                        GeneratedField::ExpiresInMs => {
                            if expires_in_ms__.is_some() {
                                return Err(serde::de::Error::duplicate_field("expiresInMs"));
                            }
                            expires_in_ms__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                    }
                }
                Ok(CreateApiKeyRequest {
                    name: name__.unwrap_or_default(),
                    role: role__.unwrap_or_default(),
                    prefix: prefix__,
                    expires_in_ms: expires_in_ms__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.CreateApiKeyRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for CreateApiKeyResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.key.is_some() {
            len += 1;
        }
        if !self.secret.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.CreateApiKeyResponse", len)?;
        if let Some(v) = self.key.as_ref() {
            struct_ser.serialize_field("key", v)?;
        }
        if !self.secret.is_empty() {
            struct_ser.serialize_field("secret", &self.secret)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for CreateApiKeyResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "key",
            "secret",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Key,
            Secret,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "key" => Ok(GeneratedField::Key),
                            "secret" => Ok(GeneratedField::Secret),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = CreateApiKeyResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.CreateApiKeyResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<CreateApiKeyResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut key__ = None;
                let mut secret__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Key => {
                            if key__.is_some() {
                                return Err(serde::de::Error::duplicate_field("key"));
                            }
                            key__ = map_.next_value()?;
                        }
                        GeneratedField::Secret => {
                            if secret__.is_some() {
                                return Err(serde::de::Error::duplicate_field("secret"));
                            }
                            secret__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(CreateApiKeyResponse {
                    key: key__,
                    secret: secret__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.CreateApiKeyResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for DecommissionNodeRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.node_id != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.DecommissionNodeRequest", len)?;
        if self.node_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("nodeId", ToString::to_string(&self.node_id).as_str())?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for DecommissionNodeRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "node_id",
            "nodeId",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            NodeId,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "nodeId" | "node_id" => Ok(GeneratedField::NodeId),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = DecommissionNodeRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.DecommissionNodeRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<DecommissionNodeRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut node_id__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::NodeId => {
                            if node_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("nodeId"));
                            }
                            node_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                    }
                }
                Ok(DecommissionNodeRequest {
                    node_id: node_id__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.DecommissionNodeRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for DecommissionNodeResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.node_id != 0 {
            len += 1;
        }
        if self.previous_state != 0 {
            len += 1;
        }
        if self.replicas_to_move != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.DecommissionNodeResponse", len)?;
        if self.node_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("nodeId", ToString::to_string(&self.node_id).as_str())?;
        }
        if self.previous_state != 0 {
            let v = NodeState::try_from(self.previous_state)
                .map_err(|_| serde::ser::Error::custom(format!("Invalid variant {}", self.previous_state)))?;
            struct_ser.serialize_field("previousState", &v)?;
        }
        if self.replicas_to_move != 0 {
            struct_ser.serialize_field("replicasToMove", &self.replicas_to_move)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for DecommissionNodeResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "node_id",
            "nodeId",
            "previous_state",
            "previousState",
            "replicas_to_move",
            "replicasToMove",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            NodeId,
            PreviousState,
            ReplicasToMove,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "nodeId" | "node_id" => Ok(GeneratedField::NodeId),
                            "previousState" | "previous_state" => Ok(GeneratedField::PreviousState),
                            "replicasToMove" | "replicas_to_move" => Ok(GeneratedField::ReplicasToMove),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = DecommissionNodeResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.DecommissionNodeResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<DecommissionNodeResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut node_id__ = None;
                let mut previous_state__ = None;
                let mut replicas_to_move__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::NodeId => {
                            if node_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("nodeId"));
                            }
                            node_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::PreviousState => {
                            if previous_state__.is_some() {
                                return Err(serde::de::Error::duplicate_field("previousState"));
                            }
                            previous_state__ = Some(map_.next_value::<NodeState>()? as i32);
                        }
                        GeneratedField::ReplicasToMove => {
                            if replicas_to_move__.is_some() {
                                return Err(serde::de::Error::duplicate_field("replicasToMove"));
                            }
                            replicas_to_move__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                    }
                }
                Ok(DecommissionNodeResponse {
                    node_id: node_id__.unwrap_or_default(),
                    previous_state: previous_state__.unwrap_or_default(),
                    replicas_to_move: replicas_to_move__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.DecommissionNodeResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for DeleteRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.key.is_empty() {
            len += 1;
        }
        if self.if_version.is_some() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.DeleteRequest", len)?;
        if !self.key.is_empty() {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("key", pbjson::private::base64::encode(&self.key).as_str())?;
        }
        if let Some(v) = self.if_version.as_ref() {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("ifVersion", ToString::to_string(&v).as_str())?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for DeleteRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "key",
            "if_version",
            "ifVersion",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Key,
            IfVersion,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "key" => Ok(GeneratedField::Key),
                            "ifVersion" | "if_version" => Ok(GeneratedField::IfVersion),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = DeleteRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.DeleteRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<DeleteRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut key__ = None;
                let mut if_version__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Key => {
                            if key__.is_some() {
                                return Err(serde::de::Error::duplicate_field("key"));
                            }
                            key__ = 
                                Some(map_.next_value::<::pbjson::private::BytesDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::IfVersion => {
                            if if_version__.is_some() {
                                return Err(serde::de::Error::duplicate_field("ifVersion"));
                            }
                            if_version__ = 
                                map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0)
                            ;
                        }
                    }
                }
                Ok(DeleteRequest {
                    key: key__.unwrap_or_default(),
                    if_version: if_version__,
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.DeleteRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for DeleteResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.deleted {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.DeleteResponse", len)?;
        if self.deleted {
            struct_ser.serialize_field("deleted", &self.deleted)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for DeleteResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "deleted",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Deleted,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "deleted" => Ok(GeneratedField::Deleted),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = DeleteResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.DeleteResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<DeleteResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut deleted__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Deleted => {
                            if deleted__.is_some() {
                                return Err(serde::de::Error::duplicate_field("deleted"));
                            }
                            deleted__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(DeleteResponse {
                    deleted: deleted__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.DeleteResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for DrainNodeRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.node_id != 0 {
            len += 1;
        }
        if self.drain {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.DrainNodeRequest", len)?;
        if self.node_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("nodeId", ToString::to_string(&self.node_id).as_str())?;
        }
        if self.drain {
            struct_ser.serialize_field("drain", &self.drain)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for DrainNodeRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "node_id",
            "nodeId",
            "drain",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            NodeId,
            Drain,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "nodeId" | "node_id" => Ok(GeneratedField::NodeId),
                            "drain" => Ok(GeneratedField::Drain),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = DrainNodeRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.DrainNodeRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<DrainNodeRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut node_id__ = None;
                let mut drain__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::NodeId => {
                            if node_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("nodeId"));
                            }
                            node_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Drain => {
                            if drain__.is_some() {
                                return Err(serde::de::Error::duplicate_field("drain"));
                            }
                            drain__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(DrainNodeRequest {
                    node_id: node_id__.unwrap_or_default(),
                    drain: drain__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.DrainNodeRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for DrainNodeResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.node_id != 0 {
            len += 1;
        }
        if self.previous_state != 0 {
            len += 1;
        }
        if self.state != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.DrainNodeResponse", len)?;
        if self.node_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("nodeId", ToString::to_string(&self.node_id).as_str())?;
        }
        if self.previous_state != 0 {
            let v = NodeState::try_from(self.previous_state)
                .map_err(|_| serde::ser::Error::custom(format!("Invalid variant {}", self.previous_state)))?;
            struct_ser.serialize_field("previousState", &v)?;
        }
        if self.state != 0 {
            let v = NodeState::try_from(self.state)
                .map_err(|_| serde::ser::Error::custom(format!("Invalid variant {}", self.state)))?;
            struct_ser.serialize_field("state", &v)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for DrainNodeResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "node_id",
            "nodeId",
            "previous_state",
            "previousState",
            "state",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            NodeId,
            PreviousState,
            State,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "nodeId" | "node_id" => Ok(GeneratedField::NodeId),
                            "previousState" | "previous_state" => Ok(GeneratedField::PreviousState),
                            "state" => Ok(GeneratedField::State),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = DrainNodeResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.DrainNodeResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<DrainNodeResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut node_id__ = None;
                let mut previous_state__ = None;
                let mut state__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::NodeId => {
                            if node_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("nodeId"));
                            }
                            node_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::PreviousState => {
                            if previous_state__.is_some() {
                                return Err(serde::de::Error::duplicate_field("previousState"));
                            }
                            previous_state__ = Some(map_.next_value::<NodeState>()? as i32);
                        }
                        GeneratedField::State => {
                            if state__.is_some() {
                                return Err(serde::de::Error::duplicate_field("state"));
                            }
                            state__ = Some(map_.next_value::<NodeState>()? as i32);
                        }
                    }
                }
                Ok(DrainNodeResponse {
                    node_id: node_id__.unwrap_or_default(),
                    previous_state: previous_state__.unwrap_or_default(),
                    state: state__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.DrainNodeResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for GetRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.key.is_empty() {
            len += 1;
        }
        if self.consistency != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.GetRequest", len)?;
        if !self.key.is_empty() {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("key", pbjson::private::base64::encode(&self.key).as_str())?;
        }
        if self.consistency != 0 {
            let v = Consistency::try_from(self.consistency)
                .map_err(|_| serde::ser::Error::custom(format!("Invalid variant {}", self.consistency)))?;
            struct_ser.serialize_field("consistency", &v)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for GetRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "key",
            "consistency",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Key,
            Consistency,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "key" => Ok(GeneratedField::Key),
                            "consistency" => Ok(GeneratedField::Consistency),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = GetRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.GetRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<GetRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut key__ = None;
                let mut consistency__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Key => {
                            if key__.is_some() {
                                return Err(serde::de::Error::duplicate_field("key"));
                            }
                            key__ = 
                                Some(map_.next_value::<::pbjson::private::BytesDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Consistency => {
                            if consistency__.is_some() {
                                return Err(serde::de::Error::duplicate_field("consistency"));
                            }
                            consistency__ = Some(map_.next_value::<Consistency>()? as i32);
                        }
                    }
                }
                Ok(GetRequest {
                    key: key__.unwrap_or_default(),
                    consistency: consistency__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.GetRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for GetResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.found {
            len += 1;
        }
        if !self.value.is_empty() {
            len += 1;
        }
        if self.version != 0 {
            len += 1;
        }
        if self.ttl_remaining_ms != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.GetResponse", len)?;
        if self.found {
            struct_ser.serialize_field("found", &self.found)?;
        }
        if !self.value.is_empty() {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("value", pbjson::private::base64::encode(&self.value).as_str())?;
        }
        if self.version != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("version", ToString::to_string(&self.version).as_str())?;
        }
        if self.ttl_remaining_ms != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("ttlRemainingMs", ToString::to_string(&self.ttl_remaining_ms).as_str())?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for GetResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "found",
            "value",
            "version",
            "ttl_remaining_ms",
            "ttlRemainingMs",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Found,
            Value,
            Version,
            TtlRemainingMs,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "found" => Ok(GeneratedField::Found),
                            "value" => Ok(GeneratedField::Value),
                            "version" => Ok(GeneratedField::Version),
                            "ttlRemainingMs" | "ttl_remaining_ms" => Ok(GeneratedField::TtlRemainingMs),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = GetResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.GetResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<GetResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut found__ = None;
                let mut value__ = None;
                let mut version__ = None;
                let mut ttl_remaining_ms__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Found => {
                            if found__.is_some() {
                                return Err(serde::de::Error::duplicate_field("found"));
                            }
                            found__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Value => {
                            if value__.is_some() {
                                return Err(serde::de::Error::duplicate_field("value"));
                            }
                            value__ = 
                                Some(map_.next_value::<::pbjson::private::BytesDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Version => {
                            if version__.is_some() {
                                return Err(serde::de::Error::duplicate_field("version"));
                            }
                            version__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::TtlRemainingMs => {
                            if ttl_remaining_ms__.is_some() {
                                return Err(serde::de::Error::duplicate_field("ttlRemainingMs"));
                            }
                            ttl_remaining_ms__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                    }
                }
                Ok(GetResponse {
                    found: found__.unwrap_or_default(),
                    value: value__.unwrap_or_default(),
                    version: version__.unwrap_or_default(),
                    ttl_remaining_ms: ttl_remaining_ms__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.GetResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for GetShardMapRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let len = 0;
        let struct_ser = serializer.serialize_struct("shoal.v1.GetShardMapRequest", len)?;
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for GetShardMapRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                            Err(serde::de::Error::unknown_field(value, FIELDS))
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = GetShardMapRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.GetShardMapRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<GetShardMapRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                while map_.next_key::<GeneratedField>()?.is_some() {
                    let _ = map_.next_value::<serde::de::IgnoredAny>()?;
                }
                Ok(GetShardMapRequest {
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.GetShardMapRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for GetShardMapResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.epoch != 0 {
            len += 1;
        }
        if !self.shards.is_empty() {
            len += 1;
        }
        if !self.key_hash.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.GetShardMapResponse", len)?;
        if self.epoch != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("epoch", ToString::to_string(&self.epoch).as_str())?;
        }
        if !self.shards.is_empty() {
            struct_ser.serialize_field("shards", &self.shards)?;
        }
        if !self.key_hash.is_empty() {
            struct_ser.serialize_field("keyHash", &self.key_hash)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for GetShardMapResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "epoch",
            "shards",
            "key_hash",
            "keyHash",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Epoch,
            Shards,
            KeyHash,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "epoch" => Ok(GeneratedField::Epoch),
                            "shards" => Ok(GeneratedField::Shards),
                            "keyHash" | "key_hash" => Ok(GeneratedField::KeyHash),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = GetShardMapResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.GetShardMapResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<GetShardMapResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut epoch__ = None;
                let mut shards__ = None;
                let mut key_hash__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Epoch => {
                            if epoch__.is_some() {
                                return Err(serde::de::Error::duplicate_field("epoch"));
                            }
                            epoch__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Shards => {
                            if shards__.is_some() {
                                return Err(serde::de::Error::duplicate_field("shards"));
                            }
                            shards__ = Some(map_.next_value()?);
                        }
                        GeneratedField::KeyHash => {
                            if key_hash__.is_some() {
                                return Err(serde::de::Error::duplicate_field("keyHash"));
                            }
                            key_hash__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(GetShardMapResponse {
                    epoch: epoch__.unwrap_or_default(),
                    shards: shards__.unwrap_or_default(),
                    key_hash: key_hash__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.GetShardMapResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for GroupRole {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        let variant = match self {
            Self::Unknown => "GROUP_ROLE_UNKNOWN",
            Self::Leader => "GROUP_ROLE_LEADER",
            Self::Follower => "GROUP_ROLE_FOLLOWER",
            Self::Candidate => "GROUP_ROLE_CANDIDATE",
            Self::Learner => "GROUP_ROLE_LEARNER",
            Self::Shutdown => "GROUP_ROLE_SHUTDOWN",
        };
        serializer.serialize_str(variant)
    }
}
impl<'de> serde::Deserialize<'de> for GroupRole {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "GROUP_ROLE_UNKNOWN",
            "GROUP_ROLE_LEADER",
            "GROUP_ROLE_FOLLOWER",
            "GROUP_ROLE_CANDIDATE",
            "GROUP_ROLE_LEARNER",
            "GROUP_ROLE_SHUTDOWN",
        ];

        struct GeneratedVisitor;

        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = GroupRole;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(formatter, "expected one of: {:?}", &FIELDS)
            }

            fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E>
            where
                E: serde::de::Error,
            {
                i32::try_from(v)
                    .ok()
                    .and_then(|x| x.try_into().ok())
                    .ok_or_else(|| {
                        serde::de::Error::invalid_value(serde::de::Unexpected::Signed(v), &self)
                    })
            }

            fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E>
            where
                E: serde::de::Error,
            {
                i32::try_from(v)
                    .ok()
                    .and_then(|x| x.try_into().ok())
                    .ok_or_else(|| {
                        serde::de::Error::invalid_value(serde::de::Unexpected::Unsigned(v), &self)
                    })
            }

            fn visit_str<E>(self, value: &str) -> std::result::Result<Self::Value, E>
            where
                E: serde::de::Error,
            {
                match value {
                    "GROUP_ROLE_UNKNOWN" => Ok(GroupRole::Unknown),
                    "GROUP_ROLE_LEADER" => Ok(GroupRole::Leader),
                    "GROUP_ROLE_FOLLOWER" => Ok(GroupRole::Follower),
                    "GROUP_ROLE_CANDIDATE" => Ok(GroupRole::Candidate),
                    "GROUP_ROLE_LEARNER" => Ok(GroupRole::Learner),
                    "GROUP_ROLE_SHUTDOWN" => Ok(GroupRole::Shutdown),
                    _ => Err(serde::de::Error::unknown_variant(value, FIELDS)),
                }
            }
        }
        deserializer.deserialize_any(GeneratedVisitor)
    }
}
impl serde::Serialize for GroupStatus {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.group_id != 0 {
            len += 1;
        }
        if self.role != 0 {
            len += 1;
        }
        if self.leader_id != 0 {
            len += 1;
        }
        if self.term != 0 {
            len += 1;
        }
        if self.applied_index != 0 {
            len += 1;
        }
        if self.last_log_index != 0 {
            len += 1;
        }
        if self.snapshot_index != 0 {
            len += 1;
        }
        if self.purged_index != 0 {
            len += 1;
        }
        if self.data_digest != 0 {
            len += 1;
        }
        if self.digest_applied_index != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.GroupStatus", len)?;
        if self.group_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("groupId", ToString::to_string(&self.group_id).as_str())?;
        }
        if self.role != 0 {
            let v = GroupRole::try_from(self.role)
                .map_err(|_| serde::ser::Error::custom(format!("Invalid variant {}", self.role)))?;
            struct_ser.serialize_field("role", &v)?;
        }
        if self.leader_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("leaderId", ToString::to_string(&self.leader_id).as_str())?;
        }
        if self.term != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("term", ToString::to_string(&self.term).as_str())?;
        }
        if self.applied_index != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("appliedIndex", ToString::to_string(&self.applied_index).as_str())?;
        }
        if self.last_log_index != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("lastLogIndex", ToString::to_string(&self.last_log_index).as_str())?;
        }
        if self.snapshot_index != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("snapshotIndex", ToString::to_string(&self.snapshot_index).as_str())?;
        }
        if self.purged_index != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("purgedIndex", ToString::to_string(&self.purged_index).as_str())?;
        }
        if self.data_digest != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("dataDigest", ToString::to_string(&self.data_digest).as_str())?;
        }
        if self.digest_applied_index != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("digestAppliedIndex", ToString::to_string(&self.digest_applied_index).as_str())?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for GroupStatus {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "group_id",
            "groupId",
            "role",
            "leader_id",
            "leaderId",
            "term",
            "applied_index",
            "appliedIndex",
            "last_log_index",
            "lastLogIndex",
            "snapshot_index",
            "snapshotIndex",
            "purged_index",
            "purgedIndex",
            "data_digest",
            "dataDigest",
            "digest_applied_index",
            "digestAppliedIndex",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            GroupId,
            Role,
            LeaderId,
            Term,
            AppliedIndex,
            LastLogIndex,
            SnapshotIndex,
            PurgedIndex,
            DataDigest,
            DigestAppliedIndex,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "groupId" | "group_id" => Ok(GeneratedField::GroupId),
                            "role" => Ok(GeneratedField::Role),
                            "leaderId" | "leader_id" => Ok(GeneratedField::LeaderId),
                            "term" => Ok(GeneratedField::Term),
                            "appliedIndex" | "applied_index" => Ok(GeneratedField::AppliedIndex),
                            "lastLogIndex" | "last_log_index" => Ok(GeneratedField::LastLogIndex),
                            "snapshotIndex" | "snapshot_index" => Ok(GeneratedField::SnapshotIndex),
                            "purgedIndex" | "purged_index" => Ok(GeneratedField::PurgedIndex),
                            "dataDigest" | "data_digest" => Ok(GeneratedField::DataDigest),
                            "digestAppliedIndex" | "digest_applied_index" => Ok(GeneratedField::DigestAppliedIndex),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = GroupStatus;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.GroupStatus")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<GroupStatus, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut group_id__ = None;
                let mut role__ = None;
                let mut leader_id__ = None;
                let mut term__ = None;
                let mut applied_index__ = None;
                let mut last_log_index__ = None;
                let mut snapshot_index__ = None;
                let mut purged_index__ = None;
                let mut data_digest__ = None;
                let mut digest_applied_index__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::GroupId => {
                            if group_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("groupId"));
                            }
                            group_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Role => {
                            if role__.is_some() {
                                return Err(serde::de::Error::duplicate_field("role"));
                            }
                            role__ = Some(map_.next_value::<GroupRole>()? as i32);
                        }
                        GeneratedField::LeaderId => {
                            if leader_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("leaderId"));
                            }
                            leader_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Term => {
                            if term__.is_some() {
                                return Err(serde::de::Error::duplicate_field("term"));
                            }
                            term__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::AppliedIndex => {
                            if applied_index__.is_some() {
                                return Err(serde::de::Error::duplicate_field("appliedIndex"));
                            }
                            applied_index__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::LastLogIndex => {
                            if last_log_index__.is_some() {
                                return Err(serde::de::Error::duplicate_field("lastLogIndex"));
                            }
                            last_log_index__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::SnapshotIndex => {
                            if snapshot_index__.is_some() {
                                return Err(serde::de::Error::duplicate_field("snapshotIndex"));
                            }
                            snapshot_index__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::PurgedIndex => {
                            if purged_index__.is_some() {
                                return Err(serde::de::Error::duplicate_field("purgedIndex"));
                            }
                            purged_index__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::DataDigest => {
                            if data_digest__.is_some() {
                                return Err(serde::de::Error::duplicate_field("dataDigest"));
                            }
                            data_digest__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::DigestAppliedIndex => {
                            if digest_applied_index__.is_some() {
                                return Err(serde::de::Error::duplicate_field("digestAppliedIndex"));
                            }
                            digest_applied_index__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                    }
                }
                Ok(GroupStatus {
                    group_id: group_id__.unwrap_or_default(),
                    role: role__.unwrap_or_default(),
                    leader_id: leader_id__.unwrap_or_default(),
                    term: term__.unwrap_or_default(),
                    applied_index: applied_index__.unwrap_or_default(),
                    last_log_index: last_log_index__.unwrap_or_default(),
                    snapshot_index: snapshot_index__.unwrap_or_default(),
                    purged_index: purged_index__.unwrap_or_default(),
                    data_digest: data_digest__.unwrap_or_default(),
                    digest_applied_index: digest_applied_index__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.GroupStatus", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for JobStatus {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.name.is_empty() {
            len += 1;
        }
        if self.runs != 0 {
            len += 1;
        }
        if self.running {
            len += 1;
        }
        if self.every_ms != 0 {
            len += 1;
        }
        if self.last_run_ms_ago.is_some() {
            len += 1;
        }
        if self.last_duration_ms != 0 {
            len += 1;
        }
        if !self.last_error.is_empty() {
            len += 1;
        }
        if self.last_error_ms_ago.is_some() {
            len += 1;
        }
        if !self.waiting_for.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.JobStatus", len)?;
        if !self.name.is_empty() {
            struct_ser.serialize_field("name", &self.name)?;
        }
        if self.runs != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("runs", ToString::to_string(&self.runs).as_str())?;
        }
        if self.running {
            struct_ser.serialize_field("running", &self.running)?;
        }
        if self.every_ms != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("everyMs", ToString::to_string(&self.every_ms).as_str())?;
        }
        if let Some(v) = self.last_run_ms_ago.as_ref() {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("lastRunMsAgo", ToString::to_string(&v).as_str())?;
        }
        if self.last_duration_ms != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("lastDurationMs", ToString::to_string(&self.last_duration_ms).as_str())?;
        }
        if !self.last_error.is_empty() {
            struct_ser.serialize_field("lastError", &self.last_error)?;
        }
        if let Some(v) = self.last_error_ms_ago.as_ref() {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("lastErrorMsAgo", ToString::to_string(&v).as_str())?;
        }
        if !self.waiting_for.is_empty() {
            struct_ser.serialize_field("waitingFor", &self.waiting_for)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for JobStatus {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "name",
            "runs",
            "running",
            "every_ms",
            "everyMs",
            "last_run_ms_ago",
            "lastRunMsAgo",
            "last_duration_ms",
            "lastDurationMs",
            "last_error",
            "lastError",
            "last_error_ms_ago",
            "lastErrorMsAgo",
            "waiting_for",
            "waitingFor",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Name,
            Runs,
            Running,
            EveryMs,
            LastRunMsAgo,
            LastDurationMs,
            LastError,
            LastErrorMsAgo,
            WaitingFor,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "name" => Ok(GeneratedField::Name),
                            "runs" => Ok(GeneratedField::Runs),
                            "running" => Ok(GeneratedField::Running),
                            "everyMs" | "every_ms" => Ok(GeneratedField::EveryMs),
                            "lastRunMsAgo" | "last_run_ms_ago" => Ok(GeneratedField::LastRunMsAgo),
                            "lastDurationMs" | "last_duration_ms" => Ok(GeneratedField::LastDurationMs),
                            "lastError" | "last_error" => Ok(GeneratedField::LastError),
                            "lastErrorMsAgo" | "last_error_ms_ago" => Ok(GeneratedField::LastErrorMsAgo),
                            "waitingFor" | "waiting_for" => Ok(GeneratedField::WaitingFor),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = JobStatus;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.JobStatus")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<JobStatus, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut name__ = None;
                let mut runs__ = None;
                let mut running__ = None;
                let mut every_ms__ = None;
                let mut last_run_ms_ago__ = None;
                let mut last_duration_ms__ = None;
                let mut last_error__ = None;
                let mut last_error_ms_ago__ = None;
                let mut waiting_for__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Name => {
                            if name__.is_some() {
                                return Err(serde::de::Error::duplicate_field("name"));
                            }
                            name__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Runs => {
                            if runs__.is_some() {
                                return Err(serde::de::Error::duplicate_field("runs"));
                            }
                            runs__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Running => {
                            if running__.is_some() {
                                return Err(serde::de::Error::duplicate_field("running"));
                            }
                            running__ = Some(map_.next_value()?);
                        }
                        GeneratedField::EveryMs => {
                            if every_ms__.is_some() {
                                return Err(serde::de::Error::duplicate_field("everyMs"));
                            }
                            every_ms__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::LastRunMsAgo => {
                            if last_run_ms_ago__.is_some() {
                                return Err(serde::de::Error::duplicate_field("lastRunMsAgo"));
                            }
                            last_run_ms_ago__ = 
                                map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0)
                            ;
                        }
                        GeneratedField::LastDurationMs => {
                            if last_duration_ms__.is_some() {
                                return Err(serde::de::Error::duplicate_field("lastDurationMs"));
                            }
                            last_duration_ms__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::LastError => {
                            if last_error__.is_some() {
                                return Err(serde::de::Error::duplicate_field("lastError"));
                            }
                            last_error__ = Some(map_.next_value()?);
                        }
                        GeneratedField::LastErrorMsAgo => {
                            if last_error_ms_ago__.is_some() {
                                return Err(serde::de::Error::duplicate_field("lastErrorMsAgo"));
                            }
                            last_error_ms_ago__ = 
                                map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0)
                            ;
                        }
                        GeneratedField::WaitingFor => {
                            if waiting_for__.is_some() {
                                return Err(serde::de::Error::duplicate_field("waitingFor"));
                            }
                            waiting_for__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(JobStatus {
                    name: name__.unwrap_or_default(),
                    runs: runs__.unwrap_or_default(),
                    running: running__.unwrap_or_default(),
                    every_ms: every_ms__.unwrap_or_default(),
                    last_run_ms_ago: last_run_ms_ago__,
                    last_duration_ms: last_duration_ms__.unwrap_or_default(),
                    last_error: last_error__.unwrap_or_default(),
                    last_error_ms_ago: last_error_ms_ago__,
                    waiting_for: waiting_for__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.JobStatus", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for ListApiKeysRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let len = 0;
        let struct_ser = serializer.serialize_struct("shoal.v1.ListApiKeysRequest", len)?;
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for ListApiKeysRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                            Err(serde::de::Error::unknown_field(value, FIELDS))
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ListApiKeysRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.ListApiKeysRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<ListApiKeysRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                while map_.next_key::<GeneratedField>()?.is_some() {
                    let _ = map_.next_value::<serde::de::IgnoredAny>()?;
                }
                Ok(ListApiKeysRequest {
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.ListApiKeysRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for ListApiKeysResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.keys.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.ListApiKeysResponse", len)?;
        if !self.keys.is_empty() {
            struct_ser.serialize_field("keys", &self.keys)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for ListApiKeysResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "keys",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Keys,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "keys" => Ok(GeneratedField::Keys),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ListApiKeysResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.ListApiKeysResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<ListApiKeysResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut keys__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Keys => {
                            if keys__.is_some() {
                                return Err(serde::de::Error::duplicate_field("keys"));
                            }
                            keys__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(ListApiKeysResponse {
                    keys: keys__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.ListApiKeysResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for ListAuditRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.limit != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.ListAuditRequest", len)?;
        if self.limit != 0 {
            struct_ser.serialize_field("limit", &self.limit)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for ListAuditRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "limit",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Limit,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "limit" => Ok(GeneratedField::Limit),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ListAuditRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.ListAuditRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<ListAuditRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut limit__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Limit => {
                            if limit__.is_some() {
                                return Err(serde::de::Error::duplicate_field("limit"));
                            }
                            limit__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                    }
                }
                Ok(ListAuditRequest {
                    limit: limit__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.ListAuditRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for ListAuditResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.entries.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.ListAuditResponse", len)?;
        if !self.entries.is_empty() {
            struct_ser.serialize_field("entries", &self.entries)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for ListAuditResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "entries",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Entries,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "entries" => Ok(GeneratedField::Entries),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ListAuditResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.ListAuditResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<ListAuditResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut entries__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Entries => {
                            if entries__.is_some() {
                                return Err(serde::de::Error::duplicate_field("entries"));
                            }
                            entries__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(ListAuditResponse {
                    entries: entries__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.ListAuditResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for ListJobsRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.local_only {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.ListJobsRequest", len)?;
        if self.local_only {
            struct_ser.serialize_field("localOnly", &self.local_only)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for ListJobsRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "local_only",
            "localOnly",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            LocalOnly,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "localOnly" | "local_only" => Ok(GeneratedField::LocalOnly),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ListJobsRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.ListJobsRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<ListJobsRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut local_only__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::LocalOnly => {
                            if local_only__.is_some() {
                                return Err(serde::de::Error::duplicate_field("localOnly"));
                            }
                            local_only__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(ListJobsRequest {
                    local_only: local_only__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.ListJobsRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for ListJobsResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.nodes.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.ListJobsResponse", len)?;
        if !self.nodes.is_empty() {
            struct_ser.serialize_field("nodes", &self.nodes)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for ListJobsResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "nodes",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Nodes,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "nodes" => Ok(GeneratedField::Nodes),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ListJobsResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.ListJobsResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<ListJobsResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut nodes__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Nodes => {
                            if nodes__.is_some() {
                                return Err(serde::de::Error::duplicate_field("nodes"));
                            }
                            nodes__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(ListJobsResponse {
                    nodes: nodes__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.ListJobsResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for ListMovesRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let len = 0;
        let struct_ser = serializer.serialize_struct("shoal.v1.ListMovesRequest", len)?;
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for ListMovesRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                            Err(serde::de::Error::unknown_field(value, FIELDS))
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ListMovesRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.ListMovesRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<ListMovesRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                while map_.next_key::<GeneratedField>()?.is_some() {
                    let _ = map_.next_value::<serde::de::IgnoredAny>()?;
                }
                Ok(ListMovesRequest {
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.ListMovesRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for ListMovesResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.moves.is_empty() {
            len += 1;
        }
        if self.finished != 0 {
            len += 1;
        }
        if self.aborted != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.ListMovesResponse", len)?;
        if !self.moves.is_empty() {
            struct_ser.serialize_field("moves", &self.moves)?;
        }
        if self.finished != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("finished", ToString::to_string(&self.finished).as_str())?;
        }
        if self.aborted != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("aborted", ToString::to_string(&self.aborted).as_str())?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for ListMovesResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "moves",
            "finished",
            "aborted",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Moves,
            Finished,
            Aborted,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "moves" => Ok(GeneratedField::Moves),
                            "finished" => Ok(GeneratedField::Finished),
                            "aborted" => Ok(GeneratedField::Aborted),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ListMovesResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.ListMovesResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<ListMovesResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut moves__ = None;
                let mut finished__ = None;
                let mut aborted__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Moves => {
                            if moves__.is_some() {
                                return Err(serde::de::Error::duplicate_field("moves"));
                            }
                            moves__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Finished => {
                            if finished__.is_some() {
                                return Err(serde::de::Error::duplicate_field("finished"));
                            }
                            finished__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Aborted => {
                            if aborted__.is_some() {
                                return Err(serde::de::Error::duplicate_field("aborted"));
                            }
                            aborted__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                    }
                }
                Ok(ListMovesResponse {
                    moves: moves__.unwrap_or_default(),
                    finished: finished__.unwrap_or_default(),
                    aborted: aborted__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.ListMovesResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for Member {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.node_id != 0 {
            len += 1;
        }
        if !self.name.is_empty() {
            len += 1;
        }
        if self.generation != 0 {
            len += 1;
        }
        if self.live {
            len += 1;
        }
        if self.ready {
            len += 1;
        }
        if self.state != 0 {
            len += 1;
        }
        if !self.internal_address.is_empty() {
            len += 1;
        }
        if !self.client_address.is_empty() {
            len += 1;
        }
        if !self.admin_address.is_empty() {
            len += 1;
        }
        if !self.gossip_address.is_empty() {
            len += 1;
        }
        if !self.zone.is_empty() {
            len += 1;
        }
        if !self.leading_shards.is_empty() {
            len += 1;
        }
        if self.shard_map_epoch != 0 {
            len += 1;
        }
        if !self.cluster_id.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.Member", len)?;
        if self.node_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("nodeId", ToString::to_string(&self.node_id).as_str())?;
        }
        if !self.name.is_empty() {
            struct_ser.serialize_field("name", &self.name)?;
        }
        if self.generation != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("generation", ToString::to_string(&self.generation).as_str())?;
        }
        if self.live {
            struct_ser.serialize_field("live", &self.live)?;
        }
        if self.ready {
            struct_ser.serialize_field("ready", &self.ready)?;
        }
        if self.state != 0 {
            let v = NodeState::try_from(self.state)
                .map_err(|_| serde::ser::Error::custom(format!("Invalid variant {}", self.state)))?;
            struct_ser.serialize_field("state", &v)?;
        }
        if !self.internal_address.is_empty() {
            struct_ser.serialize_field("internalAddress", &self.internal_address)?;
        }
        if !self.client_address.is_empty() {
            struct_ser.serialize_field("clientAddress", &self.client_address)?;
        }
        if !self.admin_address.is_empty() {
            struct_ser.serialize_field("adminAddress", &self.admin_address)?;
        }
        if !self.gossip_address.is_empty() {
            struct_ser.serialize_field("gossipAddress", &self.gossip_address)?;
        }
        if !self.zone.is_empty() {
            struct_ser.serialize_field("zone", &self.zone)?;
        }
        if !self.leading_shards.is_empty() {
            struct_ser.serialize_field("leadingShards", &self.leading_shards)?;
        }
        if self.shard_map_epoch != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("shardMapEpoch", ToString::to_string(&self.shard_map_epoch).as_str())?;
        }
        if !self.cluster_id.is_empty() {
            struct_ser.serialize_field("clusterId", &self.cluster_id)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for Member {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "node_id",
            "nodeId",
            "name",
            "generation",
            "live",
            "ready",
            "state",
            "internal_address",
            "internalAddress",
            "client_address",
            "clientAddress",
            "admin_address",
            "adminAddress",
            "gossip_address",
            "gossipAddress",
            "zone",
            "leading_shards",
            "leadingShards",
            "shard_map_epoch",
            "shardMapEpoch",
            "cluster_id",
            "clusterId",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            NodeId,
            Name,
            Generation,
            Live,
            Ready,
            State,
            InternalAddress,
            ClientAddress,
            AdminAddress,
            GossipAddress,
            Zone,
            LeadingShards,
            ShardMapEpoch,
            ClusterId,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "nodeId" | "node_id" => Ok(GeneratedField::NodeId),
                            "name" => Ok(GeneratedField::Name),
                            "generation" => Ok(GeneratedField::Generation),
                            "live" => Ok(GeneratedField::Live),
                            "ready" => Ok(GeneratedField::Ready),
                            "state" => Ok(GeneratedField::State),
                            "internalAddress" | "internal_address" => Ok(GeneratedField::InternalAddress),
                            "clientAddress" | "client_address" => Ok(GeneratedField::ClientAddress),
                            "adminAddress" | "admin_address" => Ok(GeneratedField::AdminAddress),
                            "gossipAddress" | "gossip_address" => Ok(GeneratedField::GossipAddress),
                            "zone" => Ok(GeneratedField::Zone),
                            "leadingShards" | "leading_shards" => Ok(GeneratedField::LeadingShards),
                            "shardMapEpoch" | "shard_map_epoch" => Ok(GeneratedField::ShardMapEpoch),
                            "clusterId" | "cluster_id" => Ok(GeneratedField::ClusterId),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = Member;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.Member")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<Member, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut node_id__ = None;
                let mut name__ = None;
                let mut generation__ = None;
                let mut live__ = None;
                let mut ready__ = None;
                let mut state__ = None;
                let mut internal_address__ = None;
                let mut client_address__ = None;
                let mut admin_address__ = None;
                let mut gossip_address__ = None;
                let mut zone__ = None;
                let mut leading_shards__ = None;
                let mut shard_map_epoch__ = None;
                let mut cluster_id__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::NodeId => {
                            if node_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("nodeId"));
                            }
                            node_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Name => {
                            if name__.is_some() {
                                return Err(serde::de::Error::duplicate_field("name"));
                            }
                            name__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Generation => {
                            if generation__.is_some() {
                                return Err(serde::de::Error::duplicate_field("generation"));
                            }
                            generation__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Live => {
                            if live__.is_some() {
                                return Err(serde::de::Error::duplicate_field("live"));
                            }
                            live__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Ready => {
                            if ready__.is_some() {
                                return Err(serde::de::Error::duplicate_field("ready"));
                            }
                            ready__ = Some(map_.next_value()?);
                        }
                        GeneratedField::State => {
                            if state__.is_some() {
                                return Err(serde::de::Error::duplicate_field("state"));
                            }
                            state__ = Some(map_.next_value::<NodeState>()? as i32);
                        }
                        GeneratedField::InternalAddress => {
                            if internal_address__.is_some() {
                                return Err(serde::de::Error::duplicate_field("internalAddress"));
                            }
                            internal_address__ = Some(map_.next_value()?);
                        }
                        GeneratedField::ClientAddress => {
                            if client_address__.is_some() {
                                return Err(serde::de::Error::duplicate_field("clientAddress"));
                            }
                            client_address__ = Some(map_.next_value()?);
                        }
                        GeneratedField::AdminAddress => {
                            if admin_address__.is_some() {
                                return Err(serde::de::Error::duplicate_field("adminAddress"));
                            }
                            admin_address__ = Some(map_.next_value()?);
                        }
                        GeneratedField::GossipAddress => {
                            if gossip_address__.is_some() {
                                return Err(serde::de::Error::duplicate_field("gossipAddress"));
                            }
                            gossip_address__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Zone => {
                            if zone__.is_some() {
                                return Err(serde::de::Error::duplicate_field("zone"));
                            }
                            zone__ = Some(map_.next_value()?);
                        }
                        GeneratedField::LeadingShards => {
                            if leading_shards__.is_some() {
                                return Err(serde::de::Error::duplicate_field("leadingShards"));
                            }
                            leading_shards__ = 
                                Some(map_.next_value::<Vec<::pbjson::private::NumberDeserialize<_>>>()?
                                    .into_iter().map(|x| x.0).collect())
                            ;
                        }
                        GeneratedField::ShardMapEpoch => {
                            if shard_map_epoch__.is_some() {
                                return Err(serde::de::Error::duplicate_field("shardMapEpoch"));
                            }
                            shard_map_epoch__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::ClusterId => {
                            if cluster_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("clusterId"));
                            }
                            cluster_id__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(Member {
                    node_id: node_id__.unwrap_or_default(),
                    name: name__.unwrap_or_default(),
                    generation: generation__.unwrap_or_default(),
                    live: live__.unwrap_or_default(),
                    ready: ready__.unwrap_or_default(),
                    state: state__.unwrap_or_default(),
                    internal_address: internal_address__.unwrap_or_default(),
                    client_address: client_address__.unwrap_or_default(),
                    admin_address: admin_address__.unwrap_or_default(),
                    gossip_address: gossip_address__.unwrap_or_default(),
                    zone: zone__.unwrap_or_default(),
                    leading_shards: leading_shards__.unwrap_or_default(),
                    shard_map_epoch: shard_map_epoch__.unwrap_or_default(),
                    cluster_id: cluster_id__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.Member", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for MembersRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let len = 0;
        let struct_ser = serializer.serialize_struct("shoal.v1.MembersRequest", len)?;
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for MembersRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                            Err(serde::de::Error::unknown_field(value, FIELDS))
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = MembersRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.MembersRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<MembersRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                while map_.next_key::<GeneratedField>()?.is_some() {
                    let _ = map_.next_value::<serde::de::IgnoredAny>()?;
                }
                Ok(MembersRequest {
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.MembersRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for MembersResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.node_id != 0 {
            len += 1;
        }
        if !self.members.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.MembersResponse", len)?;
        if self.node_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("nodeId", ToString::to_string(&self.node_id).as_str())?;
        }
        if !self.members.is_empty() {
            struct_ser.serialize_field("members", &self.members)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for MembersResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "node_id",
            "nodeId",
            "members",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            NodeId,
            Members,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "nodeId" | "node_id" => Ok(GeneratedField::NodeId),
                            "members" => Ok(GeneratedField::Members),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = MembersResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.MembersResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<MembersResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut node_id__ = None;
                let mut members__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::NodeId => {
                            if node_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("nodeId"));
                            }
                            node_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Members => {
                            if members__.is_some() {
                                return Err(serde::de::Error::duplicate_field("members"));
                            }
                            members__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(MembersResponse {
                    node_id: node_id__.unwrap_or_default(),
                    members: members__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.MembersResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for MoveStatus {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.id != 0 {
            len += 1;
        }
        if self.shard_id != 0 {
            len += 1;
        }
        if self.from_node != 0 {
            len += 1;
        }
        if self.to_node != 0 {
            len += 1;
        }
        if !self.reason.is_empty() {
            len += 1;
        }
        if !self.step.is_empty() {
            len += 1;
        }
        if self.started_at_ms != 0 {
            len += 1;
        }
        if self.step_started_at_ms != 0 {
            len += 1;
        }
        if self.bytes_sent != 0 {
            len += 1;
        }
        if self.bytes_total != 0 {
            len += 1;
        }
        if self.bytes_per_second != 0. {
            len += 1;
        }
        if self.eta_seconds != 0. {
            len += 1;
        }
        if self.target_matched_index != 0 {
            len += 1;
        }
        if self.leader_last_index != 0 {
            len += 1;
        }
        if !self.stuck_reason.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.MoveStatus", len)?;
        if self.id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("id", ToString::to_string(&self.id).as_str())?;
        }
        if self.shard_id != 0 {
            struct_ser.serialize_field("shardId", &self.shard_id)?;
        }
        if self.from_node != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("fromNode", ToString::to_string(&self.from_node).as_str())?;
        }
        if self.to_node != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("toNode", ToString::to_string(&self.to_node).as_str())?;
        }
        if !self.reason.is_empty() {
            struct_ser.serialize_field("reason", &self.reason)?;
        }
        if !self.step.is_empty() {
            struct_ser.serialize_field("step", &self.step)?;
        }
        if self.started_at_ms != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("startedAtMs", ToString::to_string(&self.started_at_ms).as_str())?;
        }
        if self.step_started_at_ms != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("stepStartedAtMs", ToString::to_string(&self.step_started_at_ms).as_str())?;
        }
        if self.bytes_sent != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("bytesSent", ToString::to_string(&self.bytes_sent).as_str())?;
        }
        if self.bytes_total != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("bytesTotal", ToString::to_string(&self.bytes_total).as_str())?;
        }
        if self.bytes_per_second != 0. {
            struct_ser.serialize_field("bytesPerSecond", &self.bytes_per_second)?;
        }
        if self.eta_seconds != 0. {
            struct_ser.serialize_field("etaSeconds", &self.eta_seconds)?;
        }
        if self.target_matched_index != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("targetMatchedIndex", ToString::to_string(&self.target_matched_index).as_str())?;
        }
        if self.leader_last_index != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("leaderLastIndex", ToString::to_string(&self.leader_last_index).as_str())?;
        }
        if !self.stuck_reason.is_empty() {
            struct_ser.serialize_field("stuckReason", &self.stuck_reason)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for MoveStatus {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "id",
            "shard_id",
            "shardId",
            "from_node",
            "fromNode",
            "to_node",
            "toNode",
            "reason",
            "step",
            "started_at_ms",
            "startedAtMs",
            "step_started_at_ms",
            "stepStartedAtMs",
            "bytes_sent",
            "bytesSent",
            "bytes_total",
            "bytesTotal",
            "bytes_per_second",
            "bytesPerSecond",
            "eta_seconds",
            "etaSeconds",
            "target_matched_index",
            "targetMatchedIndex",
            "leader_last_index",
            "leaderLastIndex",
            "stuck_reason",
            "stuckReason",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Id,
            ShardId,
            FromNode,
            ToNode,
            Reason,
            Step,
            StartedAtMs,
            StepStartedAtMs,
            BytesSent,
            BytesTotal,
            BytesPerSecond,
            EtaSeconds,
            TargetMatchedIndex,
            LeaderLastIndex,
            StuckReason,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "id" => Ok(GeneratedField::Id),
                            "shardId" | "shard_id" => Ok(GeneratedField::ShardId),
                            "fromNode" | "from_node" => Ok(GeneratedField::FromNode),
                            "toNode" | "to_node" => Ok(GeneratedField::ToNode),
                            "reason" => Ok(GeneratedField::Reason),
                            "step" => Ok(GeneratedField::Step),
                            "startedAtMs" | "started_at_ms" => Ok(GeneratedField::StartedAtMs),
                            "stepStartedAtMs" | "step_started_at_ms" => Ok(GeneratedField::StepStartedAtMs),
                            "bytesSent" | "bytes_sent" => Ok(GeneratedField::BytesSent),
                            "bytesTotal" | "bytes_total" => Ok(GeneratedField::BytesTotal),
                            "bytesPerSecond" | "bytes_per_second" => Ok(GeneratedField::BytesPerSecond),
                            "etaSeconds" | "eta_seconds" => Ok(GeneratedField::EtaSeconds),
                            "targetMatchedIndex" | "target_matched_index" => Ok(GeneratedField::TargetMatchedIndex),
                            "leaderLastIndex" | "leader_last_index" => Ok(GeneratedField::LeaderLastIndex),
                            "stuckReason" | "stuck_reason" => Ok(GeneratedField::StuckReason),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = MoveStatus;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.MoveStatus")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<MoveStatus, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut id__ = None;
                let mut shard_id__ = None;
                let mut from_node__ = None;
                let mut to_node__ = None;
                let mut reason__ = None;
                let mut step__ = None;
                let mut started_at_ms__ = None;
                let mut step_started_at_ms__ = None;
                let mut bytes_sent__ = None;
                let mut bytes_total__ = None;
                let mut bytes_per_second__ = None;
                let mut eta_seconds__ = None;
                let mut target_matched_index__ = None;
                let mut leader_last_index__ = None;
                let mut stuck_reason__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Id => {
                            if id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("id"));
                            }
                            id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::ShardId => {
                            if shard_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("shardId"));
                            }
                            shard_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::FromNode => {
                            if from_node__.is_some() {
                                return Err(serde::de::Error::duplicate_field("fromNode"));
                            }
                            from_node__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::ToNode => {
                            if to_node__.is_some() {
                                return Err(serde::de::Error::duplicate_field("toNode"));
                            }
                            to_node__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Reason => {
                            if reason__.is_some() {
                                return Err(serde::de::Error::duplicate_field("reason"));
                            }
                            reason__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Step => {
                            if step__.is_some() {
                                return Err(serde::de::Error::duplicate_field("step"));
                            }
                            step__ = Some(map_.next_value()?);
                        }
                        GeneratedField::StartedAtMs => {
                            if started_at_ms__.is_some() {
                                return Err(serde::de::Error::duplicate_field("startedAtMs"));
                            }
                            started_at_ms__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::StepStartedAtMs => {
                            if step_started_at_ms__.is_some() {
                                return Err(serde::de::Error::duplicate_field("stepStartedAtMs"));
                            }
                            step_started_at_ms__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::BytesSent => {
                            if bytes_sent__.is_some() {
                                return Err(serde::de::Error::duplicate_field("bytesSent"));
                            }
                            bytes_sent__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::BytesTotal => {
                            if bytes_total__.is_some() {
                                return Err(serde::de::Error::duplicate_field("bytesTotal"));
                            }
                            bytes_total__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::BytesPerSecond => {
                            if bytes_per_second__.is_some() {
                                return Err(serde::de::Error::duplicate_field("bytesPerSecond"));
                            }
                            bytes_per_second__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::EtaSeconds => {
                            if eta_seconds__.is_some() {
                                return Err(serde::de::Error::duplicate_field("etaSeconds"));
                            }
                            eta_seconds__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::TargetMatchedIndex => {
                            if target_matched_index__.is_some() {
                                return Err(serde::de::Error::duplicate_field("targetMatchedIndex"));
                            }
                            target_matched_index__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::LeaderLastIndex => {
                            if leader_last_index__.is_some() {
                                return Err(serde::de::Error::duplicate_field("leaderLastIndex"));
                            }
                            leader_last_index__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::StuckReason => {
                            if stuck_reason__.is_some() {
                                return Err(serde::de::Error::duplicate_field("stuckReason"));
                            }
                            stuck_reason__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(MoveStatus {
                    id: id__.unwrap_or_default(),
                    shard_id: shard_id__.unwrap_or_default(),
                    from_node: from_node__.unwrap_or_default(),
                    to_node: to_node__.unwrap_or_default(),
                    reason: reason__.unwrap_or_default(),
                    step: step__.unwrap_or_default(),
                    started_at_ms: started_at_ms__.unwrap_or_default(),
                    step_started_at_ms: step_started_at_ms__.unwrap_or_default(),
                    bytes_sent: bytes_sent__.unwrap_or_default(),
                    bytes_total: bytes_total__.unwrap_or_default(),
                    bytes_per_second: bytes_per_second__.unwrap_or_default(),
                    eta_seconds: eta_seconds__.unwrap_or_default(),
                    target_matched_index: target_matched_index__.unwrap_or_default(),
                    leader_last_index: leader_last_index__.unwrap_or_default(),
                    stuck_reason: stuck_reason__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.MoveStatus", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for NodeJobs {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.node_id != 0 {
            len += 1;
        }
        if self.reachable {
            len += 1;
        }
        if !self.jobs.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.NodeJobs", len)?;
        if self.node_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("nodeId", ToString::to_string(&self.node_id).as_str())?;
        }
        if self.reachable {
            struct_ser.serialize_field("reachable", &self.reachable)?;
        }
        if !self.jobs.is_empty() {
            struct_ser.serialize_field("jobs", &self.jobs)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for NodeJobs {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "node_id",
            "nodeId",
            "reachable",
            "jobs",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            NodeId,
            Reachable,
            Jobs,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "nodeId" | "node_id" => Ok(GeneratedField::NodeId),
                            "reachable" => Ok(GeneratedField::Reachable),
                            "jobs" => Ok(GeneratedField::Jobs),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = NodeJobs;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.NodeJobs")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<NodeJobs, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut node_id__ = None;
                let mut reachable__ = None;
                let mut jobs__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::NodeId => {
                            if node_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("nodeId"));
                            }
                            node_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Reachable => {
                            if reachable__.is_some() {
                                return Err(serde::de::Error::duplicate_field("reachable"));
                            }
                            reachable__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Jobs => {
                            if jobs__.is_some() {
                                return Err(serde::de::Error::duplicate_field("jobs"));
                            }
                            jobs__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(NodeJobs {
                    node_id: node_id__.unwrap_or_default(),
                    reachable: reachable__.unwrap_or_default(),
                    jobs: jobs__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.NodeJobs", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for NodeState {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        let variant = match self {
            Self::Unknown => "NODE_STATE_UNKNOWN",
            Self::Joining => "NODE_STATE_JOINING",
            Self::Active => "NODE_STATE_ACTIVE",
            Self::Draining => "NODE_STATE_DRAINING",
            Self::Decommissioned => "NODE_STATE_DECOMMISSIONED",
            Self::Leaving => "NODE_STATE_LEAVING",
        };
        serializer.serialize_str(variant)
    }
}
impl<'de> serde::Deserialize<'de> for NodeState {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "NODE_STATE_UNKNOWN",
            "NODE_STATE_JOINING",
            "NODE_STATE_ACTIVE",
            "NODE_STATE_DRAINING",
            "NODE_STATE_DECOMMISSIONED",
            "NODE_STATE_LEAVING",
        ];

        struct GeneratedVisitor;

        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = NodeState;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(formatter, "expected one of: {:?}", &FIELDS)
            }

            fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E>
            where
                E: serde::de::Error,
            {
                i32::try_from(v)
                    .ok()
                    .and_then(|x| x.try_into().ok())
                    .ok_or_else(|| {
                        serde::de::Error::invalid_value(serde::de::Unexpected::Signed(v), &self)
                    })
            }

            fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E>
            where
                E: serde::de::Error,
            {
                i32::try_from(v)
                    .ok()
                    .and_then(|x| x.try_into().ok())
                    .ok_or_else(|| {
                        serde::de::Error::invalid_value(serde::de::Unexpected::Unsigned(v), &self)
                    })
            }

            fn visit_str<E>(self, value: &str) -> std::result::Result<Self::Value, E>
            where
                E: serde::de::Error,
            {
                match value {
                    "NODE_STATE_UNKNOWN" => Ok(NodeState::Unknown),
                    "NODE_STATE_JOINING" => Ok(NodeState::Joining),
                    "NODE_STATE_ACTIVE" => Ok(NodeState::Active),
                    "NODE_STATE_DRAINING" => Ok(NodeState::Draining),
                    "NODE_STATE_DECOMMISSIONED" => Ok(NodeState::Decommissioned),
                    "NODE_STATE_LEAVING" => Ok(NodeState::Leaving),
                    _ => Err(serde::de::Error::unknown_variant(value, FIELDS)),
                }
            }
        }
        deserializer.deserialize_any(GeneratedVisitor)
    }
}
impl serde::Serialize for NodeStatus {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.node_id != 0 {
            len += 1;
        }
        if !self.name.is_empty() {
            len += 1;
        }
        if self.state != 0 {
            len += 1;
        }
        if self.live {
            len += 1;
        }
        if self.ready {
            len += 1;
        }
        if !self.internal_address.is_empty() {
            len += 1;
        }
        if !self.client_address.is_empty() {
            len += 1;
        }
        if !self.admin_address.is_empty() {
            len += 1;
        }
        if !self.zone.is_empty() {
            len += 1;
        }
        if self.meta_voter {
            len += 1;
        }
        if !self.leading_shards.is_empty() {
            len += 1;
        }
        if self.meta_learner {
            len += 1;
        }
        if !self.damaged_shards.is_empty() {
            len += 1;
        }
        if self.rss_bytes != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.NodeStatus", len)?;
        if self.node_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("nodeId", ToString::to_string(&self.node_id).as_str())?;
        }
        if !self.name.is_empty() {
            struct_ser.serialize_field("name", &self.name)?;
        }
        if self.state != 0 {
            let v = NodeState::try_from(self.state)
                .map_err(|_| serde::ser::Error::custom(format!("Invalid variant {}", self.state)))?;
            struct_ser.serialize_field("state", &v)?;
        }
        if self.live {
            struct_ser.serialize_field("live", &self.live)?;
        }
        if self.ready {
            struct_ser.serialize_field("ready", &self.ready)?;
        }
        if !self.internal_address.is_empty() {
            struct_ser.serialize_field("internalAddress", &self.internal_address)?;
        }
        if !self.client_address.is_empty() {
            struct_ser.serialize_field("clientAddress", &self.client_address)?;
        }
        if !self.admin_address.is_empty() {
            struct_ser.serialize_field("adminAddress", &self.admin_address)?;
        }
        if !self.zone.is_empty() {
            struct_ser.serialize_field("zone", &self.zone)?;
        }
        if self.meta_voter {
            struct_ser.serialize_field("metaVoter", &self.meta_voter)?;
        }
        if !self.leading_shards.is_empty() {
            struct_ser.serialize_field("leadingShards", &self.leading_shards)?;
        }
        if self.meta_learner {
            struct_ser.serialize_field("metaLearner", &self.meta_learner)?;
        }
        if !self.damaged_shards.is_empty() {
            struct_ser.serialize_field("damagedShards", &self.damaged_shards)?;
        }
        if self.rss_bytes != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("rssBytes", ToString::to_string(&self.rss_bytes).as_str())?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for NodeStatus {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "node_id",
            "nodeId",
            "name",
            "state",
            "live",
            "ready",
            "internal_address",
            "internalAddress",
            "client_address",
            "clientAddress",
            "admin_address",
            "adminAddress",
            "zone",
            "meta_voter",
            "metaVoter",
            "leading_shards",
            "leadingShards",
            "meta_learner",
            "metaLearner",
            "damaged_shards",
            "damagedShards",
            "rss_bytes",
            "rssBytes",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            NodeId,
            Name,
            State,
            Live,
            Ready,
            InternalAddress,
            ClientAddress,
            AdminAddress,
            Zone,
            MetaVoter,
            LeadingShards,
            MetaLearner,
            DamagedShards,
            RssBytes,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "nodeId" | "node_id" => Ok(GeneratedField::NodeId),
                            "name" => Ok(GeneratedField::Name),
                            "state" => Ok(GeneratedField::State),
                            "live" => Ok(GeneratedField::Live),
                            "ready" => Ok(GeneratedField::Ready),
                            "internalAddress" | "internal_address" => Ok(GeneratedField::InternalAddress),
                            "clientAddress" | "client_address" => Ok(GeneratedField::ClientAddress),
                            "adminAddress" | "admin_address" => Ok(GeneratedField::AdminAddress),
                            "zone" => Ok(GeneratedField::Zone),
                            "metaVoter" | "meta_voter" => Ok(GeneratedField::MetaVoter),
                            "leadingShards" | "leading_shards" => Ok(GeneratedField::LeadingShards),
                            "metaLearner" | "meta_learner" => Ok(GeneratedField::MetaLearner),
                            "damagedShards" | "damaged_shards" => Ok(GeneratedField::DamagedShards),
                            "rssBytes" | "rss_bytes" => Ok(GeneratedField::RssBytes),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = NodeStatus;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.NodeStatus")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<NodeStatus, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut node_id__ = None;
                let mut name__ = None;
                let mut state__ = None;
                let mut live__ = None;
                let mut ready__ = None;
                let mut internal_address__ = None;
                let mut client_address__ = None;
                let mut admin_address__ = None;
                let mut zone__ = None;
                let mut meta_voter__ = None;
                let mut leading_shards__ = None;
                let mut meta_learner__ = None;
                let mut damaged_shards__ = None;
                let mut rss_bytes__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::NodeId => {
                            if node_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("nodeId"));
                            }
                            node_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Name => {
                            if name__.is_some() {
                                return Err(serde::de::Error::duplicate_field("name"));
                            }
                            name__ = Some(map_.next_value()?);
                        }
                        GeneratedField::State => {
                            if state__.is_some() {
                                return Err(serde::de::Error::duplicate_field("state"));
                            }
                            state__ = Some(map_.next_value::<NodeState>()? as i32);
                        }
                        GeneratedField::Live => {
                            if live__.is_some() {
                                return Err(serde::de::Error::duplicate_field("live"));
                            }
                            live__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Ready => {
                            if ready__.is_some() {
                                return Err(serde::de::Error::duplicate_field("ready"));
                            }
                            ready__ = Some(map_.next_value()?);
                        }
                        GeneratedField::InternalAddress => {
                            if internal_address__.is_some() {
                                return Err(serde::de::Error::duplicate_field("internalAddress"));
                            }
                            internal_address__ = Some(map_.next_value()?);
                        }
                        GeneratedField::ClientAddress => {
                            if client_address__.is_some() {
                                return Err(serde::de::Error::duplicate_field("clientAddress"));
                            }
                            client_address__ = Some(map_.next_value()?);
                        }
                        GeneratedField::AdminAddress => {
                            if admin_address__.is_some() {
                                return Err(serde::de::Error::duplicate_field("adminAddress"));
                            }
                            admin_address__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Zone => {
                            if zone__.is_some() {
                                return Err(serde::de::Error::duplicate_field("zone"));
                            }
                            zone__ = Some(map_.next_value()?);
                        }
                        GeneratedField::MetaVoter => {
                            if meta_voter__.is_some() {
                                return Err(serde::de::Error::duplicate_field("metaVoter"));
                            }
                            meta_voter__ = Some(map_.next_value()?);
                        }
                        GeneratedField::LeadingShards => {
                            if leading_shards__.is_some() {
                                return Err(serde::de::Error::duplicate_field("leadingShards"));
                            }
                            leading_shards__ = 
                                Some(map_.next_value::<Vec<::pbjson::private::NumberDeserialize<_>>>()?
                                    .into_iter().map(|x| x.0).collect())
                            ;
                        }
                        GeneratedField::MetaLearner => {
                            if meta_learner__.is_some() {
                                return Err(serde::de::Error::duplicate_field("metaLearner"));
                            }
                            meta_learner__ = Some(map_.next_value()?);
                        }
                        GeneratedField::DamagedShards => {
                            if damaged_shards__.is_some() {
                                return Err(serde::de::Error::duplicate_field("damagedShards"));
                            }
                            damaged_shards__ = 
                                Some(map_.next_value::<Vec<::pbjson::private::NumberDeserialize<_>>>()?
                                    .into_iter().map(|x| x.0).collect())
                            ;
                        }
                        GeneratedField::RssBytes => {
                            if rss_bytes__.is_some() {
                                return Err(serde::de::Error::duplicate_field("rssBytes"));
                            }
                            rss_bytes__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                    }
                }
                Ok(NodeStatus {
                    node_id: node_id__.unwrap_or_default(),
                    name: name__.unwrap_or_default(),
                    state: state__.unwrap_or_default(),
                    live: live__.unwrap_or_default(),
                    ready: ready__.unwrap_or_default(),
                    internal_address: internal_address__.unwrap_or_default(),
                    client_address: client_address__.unwrap_or_default(),
                    admin_address: admin_address__.unwrap_or_default(),
                    zone: zone__.unwrap_or_default(),
                    meta_voter: meta_voter__.unwrap_or_default(),
                    leading_shards: leading_shards__.unwrap_or_default(),
                    meta_learner: meta_learner__.unwrap_or_default(),
                    damaged_shards: damaged_shards__.unwrap_or_default(),
                    rss_bytes: rss_bytes__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.NodeStatus", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for PlannedMove {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.shard_id != 0 {
            len += 1;
        }
        if self.from_node != 0 {
            len += 1;
        }
        if self.to_node != 0 {
            len += 1;
        }
        if !self.reason.is_empty() {
            len += 1;
        }
        if self.started {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.PlannedMove", len)?;
        if self.shard_id != 0 {
            struct_ser.serialize_field("shardId", &self.shard_id)?;
        }
        if self.from_node != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("fromNode", ToString::to_string(&self.from_node).as_str())?;
        }
        if self.to_node != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("toNode", ToString::to_string(&self.to_node).as_str())?;
        }
        if !self.reason.is_empty() {
            struct_ser.serialize_field("reason", &self.reason)?;
        }
        if self.started {
            struct_ser.serialize_field("started", &self.started)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for PlannedMove {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "shard_id",
            "shardId",
            "from_node",
            "fromNode",
            "to_node",
            "toNode",
            "reason",
            "started",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            ShardId,
            FromNode,
            ToNode,
            Reason,
            Started,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "shardId" | "shard_id" => Ok(GeneratedField::ShardId),
                            "fromNode" | "from_node" => Ok(GeneratedField::FromNode),
                            "toNode" | "to_node" => Ok(GeneratedField::ToNode),
                            "reason" => Ok(GeneratedField::Reason),
                            "started" => Ok(GeneratedField::Started),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = PlannedMove;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.PlannedMove")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<PlannedMove, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut shard_id__ = None;
                let mut from_node__ = None;
                let mut to_node__ = None;
                let mut reason__ = None;
                let mut started__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::ShardId => {
                            if shard_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("shardId"));
                            }
                            shard_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::FromNode => {
                            if from_node__.is_some() {
                                return Err(serde::de::Error::duplicate_field("fromNode"));
                            }
                            from_node__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::ToNode => {
                            if to_node__.is_some() {
                                return Err(serde::de::Error::duplicate_field("toNode"));
                            }
                            to_node__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Reason => {
                            if reason__.is_some() {
                                return Err(serde::de::Error::duplicate_field("reason"));
                            }
                            reason__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Started => {
                            if started__.is_some() {
                                return Err(serde::de::Error::duplicate_field("started"));
                            }
                            started__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(PlannedMove {
                    shard_id: shard_id__.unwrap_or_default(),
                    from_node: from_node__.unwrap_or_default(),
                    to_node: to_node__.unwrap_or_default(),
                    reason: reason__.unwrap_or_default(),
                    started: started__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.PlannedMove", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for PutRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.key.is_empty() {
            len += 1;
        }
        if !self.value.is_empty() {
            len += 1;
        }
        if self.ttl_ms != 0 {
            len += 1;
        }
        if self.if_version.is_some() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.PutRequest", len)?;
        if !self.key.is_empty() {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("key", pbjson::private::base64::encode(&self.key).as_str())?;
        }
        if !self.value.is_empty() {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("value", pbjson::private::base64::encode(&self.value).as_str())?;
        }
        if self.ttl_ms != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("ttlMs", ToString::to_string(&self.ttl_ms).as_str())?;
        }
        if let Some(v) = self.if_version.as_ref() {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("ifVersion", ToString::to_string(&v).as_str())?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for PutRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "key",
            "value",
            "ttl_ms",
            "ttlMs",
            "if_version",
            "ifVersion",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Key,
            Value,
            TtlMs,
            IfVersion,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "key" => Ok(GeneratedField::Key),
                            "value" => Ok(GeneratedField::Value),
                            "ttlMs" | "ttl_ms" => Ok(GeneratedField::TtlMs),
                            "ifVersion" | "if_version" => Ok(GeneratedField::IfVersion),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = PutRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.PutRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<PutRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut key__ = None;
                let mut value__ = None;
                let mut ttl_ms__ = None;
                let mut if_version__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Key => {
                            if key__.is_some() {
                                return Err(serde::de::Error::duplicate_field("key"));
                            }
                            key__ = 
                                Some(map_.next_value::<::pbjson::private::BytesDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Value => {
                            if value__.is_some() {
                                return Err(serde::de::Error::duplicate_field("value"));
                            }
                            value__ = 
                                Some(map_.next_value::<::pbjson::private::BytesDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::TtlMs => {
                            if ttl_ms__.is_some() {
                                return Err(serde::de::Error::duplicate_field("ttlMs"));
                            }
                            ttl_ms__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::IfVersion => {
                            if if_version__.is_some() {
                                return Err(serde::de::Error::duplicate_field("ifVersion"));
                            }
                            if_version__ = 
                                map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0)
                            ;
                        }
                    }
                }
                Ok(PutRequest {
                    key: key__.unwrap_or_default(),
                    value: value__.unwrap_or_default(),
                    ttl_ms: ttl_ms__.unwrap_or_default(),
                    if_version: if_version__,
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.PutRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for PutResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.version != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.PutResponse", len)?;
        if self.version != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("version", ToString::to_string(&self.version).as_str())?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for PutResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "version",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Version,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "version" => Ok(GeneratedField::Version),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = PutResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.PutResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<PutResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut version__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Version => {
                            if version__.is_some() {
                                return Err(serde::de::Error::duplicate_field("version"));
                            }
                            version__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                    }
                }
                Ok(PutResponse {
                    version: version__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.PutResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for RebalanceRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.dry_run {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.RebalanceRequest", len)?;
        if self.dry_run {
            struct_ser.serialize_field("dryRun", &self.dry_run)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for RebalanceRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "dry_run",
            "dryRun",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            DryRun,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "dryRun" | "dry_run" => Ok(GeneratedField::DryRun),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = RebalanceRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.RebalanceRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<RebalanceRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut dry_run__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::DryRun => {
                            if dry_run__.is_some() {
                                return Err(serde::de::Error::duplicate_field("dryRun"));
                            }
                            dry_run__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(RebalanceRequest {
                    dry_run: dry_run__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.RebalanceRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for RebalanceResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.moves.is_empty() {
            len += 1;
        }
        if !self.stuck.is_empty() {
            len += 1;
        }
        if self.in_flight != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.RebalanceResponse", len)?;
        if !self.moves.is_empty() {
            struct_ser.serialize_field("moves", &self.moves)?;
        }
        if !self.stuck.is_empty() {
            struct_ser.serialize_field("stuck", &self.stuck)?;
        }
        if self.in_flight != 0 {
            struct_ser.serialize_field("inFlight", &self.in_flight)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for RebalanceResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "moves",
            "stuck",
            "in_flight",
            "inFlight",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Moves,
            Stuck,
            InFlight,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "moves" => Ok(GeneratedField::Moves),
                            "stuck" => Ok(GeneratedField::Stuck),
                            "inFlight" | "in_flight" => Ok(GeneratedField::InFlight),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = RebalanceResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.RebalanceResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<RebalanceResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut moves__ = None;
                let mut stuck__ = None;
                let mut in_flight__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Moves => {
                            if moves__.is_some() {
                                return Err(serde::de::Error::duplicate_field("moves"));
                            }
                            moves__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Stuck => {
                            if stuck__.is_some() {
                                return Err(serde::de::Error::duplicate_field("stuck"));
                            }
                            stuck__ = Some(map_.next_value()?);
                        }
                        GeneratedField::InFlight => {
                            if in_flight__.is_some() {
                                return Err(serde::de::Error::duplicate_field("inFlight"));
                            }
                            in_flight__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                    }
                }
                Ok(RebalanceResponse {
                    moves: moves__.unwrap_or_default(),
                    stuck: stuck__.unwrap_or_default(),
                    in_flight: in_flight__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.RebalanceResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for ReplicaCheck {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.node_id != 0 {
            len += 1;
        }
        if self.answered {
            len += 1;
        }
        if self.digest != 0 {
            len += 1;
        }
        if self.keys != 0 {
            len += 1;
        }
        if self.bytes != 0 {
            len += 1;
        }
        if !self.error.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.ReplicaCheck", len)?;
        if self.node_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("nodeId", ToString::to_string(&self.node_id).as_str())?;
        }
        if self.answered {
            struct_ser.serialize_field("answered", &self.answered)?;
        }
        if self.digest != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("digest", ToString::to_string(&self.digest).as_str())?;
        }
        if self.keys != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("keys", ToString::to_string(&self.keys).as_str())?;
        }
        if self.bytes != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("bytes", ToString::to_string(&self.bytes).as_str())?;
        }
        if !self.error.is_empty() {
            struct_ser.serialize_field("error", &self.error)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for ReplicaCheck {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "node_id",
            "nodeId",
            "answered",
            "digest",
            "keys",
            "bytes",
            "error",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            NodeId,
            Answered,
            Digest,
            Keys,
            Bytes,
            Error,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "nodeId" | "node_id" => Ok(GeneratedField::NodeId),
                            "answered" => Ok(GeneratedField::Answered),
                            "digest" => Ok(GeneratedField::Digest),
                            "keys" => Ok(GeneratedField::Keys),
                            "bytes" => Ok(GeneratedField::Bytes),
                            "error" => Ok(GeneratedField::Error),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ReplicaCheck;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.ReplicaCheck")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<ReplicaCheck, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut node_id__ = None;
                let mut answered__ = None;
                let mut digest__ = None;
                let mut keys__ = None;
                let mut bytes__ = None;
                let mut error__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::NodeId => {
                            if node_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("nodeId"));
                            }
                            node_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Answered => {
                            if answered__.is_some() {
                                return Err(serde::de::Error::duplicate_field("answered"));
                            }
                            answered__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Digest => {
                            if digest__.is_some() {
                                return Err(serde::de::Error::duplicate_field("digest"));
                            }
                            digest__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Keys => {
                            if keys__.is_some() {
                                return Err(serde::de::Error::duplicate_field("keys"));
                            }
                            keys__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Bytes => {
                            if bytes__.is_some() {
                                return Err(serde::de::Error::duplicate_field("bytes"));
                            }
                            bytes__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Error => {
                            if error__.is_some() {
                                return Err(serde::de::Error::duplicate_field("error"));
                            }
                            error__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(ReplicaCheck {
                    node_id: node_id__.unwrap_or_default(),
                    answered: answered__.unwrap_or_default(),
                    digest: digest__.unwrap_or_default(),
                    keys: keys__.unwrap_or_default(),
                    bytes: bytes__.unwrap_or_default(),
                    error: error__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.ReplicaCheck", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for ReplicaNode {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.node_id != 0 {
            len += 1;
        }
        if !self.internal_address.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.ReplicaNode", len)?;
        if self.node_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("nodeId", ToString::to_string(&self.node_id).as_str())?;
        }
        if !self.internal_address.is_empty() {
            struct_ser.serialize_field("internalAddress", &self.internal_address)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for ReplicaNode {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "node_id",
            "nodeId",
            "internal_address",
            "internalAddress",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            NodeId,
            InternalAddress,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "nodeId" | "node_id" => Ok(GeneratedField::NodeId),
                            "internalAddress" | "internal_address" => Ok(GeneratedField::InternalAddress),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ReplicaNode;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.ReplicaNode")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<ReplicaNode, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut node_id__ = None;
                let mut internal_address__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::NodeId => {
                            if node_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("nodeId"));
                            }
                            node_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::InternalAddress => {
                            if internal_address__.is_some() {
                                return Err(serde::de::Error::duplicate_field("internalAddress"));
                            }
                            internal_address__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(ReplicaNode {
                    node_id: node_id__.unwrap_or_default(),
                    internal_address: internal_address__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.ReplicaNode", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for ReplicaProgress {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.node_id != 0 {
            len += 1;
        }
        if self.voter {
            len += 1;
        }
        if self.matched_index.is_some() {
            len += 1;
        }
        if self.snapshot_bytes_sent != 0 {
            len += 1;
        }
        if self.snapshot_bytes_total != 0 {
            len += 1;
        }
        if self.snapshot_bytes_per_second != 0. {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.ReplicaProgress", len)?;
        if self.node_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("nodeId", ToString::to_string(&self.node_id).as_str())?;
        }
        if self.voter {
            struct_ser.serialize_field("voter", &self.voter)?;
        }
        if let Some(v) = self.matched_index.as_ref() {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("matchedIndex", ToString::to_string(&v).as_str())?;
        }
        if self.snapshot_bytes_sent != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("snapshotBytesSent", ToString::to_string(&self.snapshot_bytes_sent).as_str())?;
        }
        if self.snapshot_bytes_total != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("snapshotBytesTotal", ToString::to_string(&self.snapshot_bytes_total).as_str())?;
        }
        if self.snapshot_bytes_per_second != 0. {
            struct_ser.serialize_field("snapshotBytesPerSecond", &self.snapshot_bytes_per_second)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for ReplicaProgress {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "node_id",
            "nodeId",
            "voter",
            "matched_index",
            "matchedIndex",
            "snapshot_bytes_sent",
            "snapshotBytesSent",
            "snapshot_bytes_total",
            "snapshotBytesTotal",
            "snapshot_bytes_per_second",
            "snapshotBytesPerSecond",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            NodeId,
            Voter,
            MatchedIndex,
            SnapshotBytesSent,
            SnapshotBytesTotal,
            SnapshotBytesPerSecond,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "nodeId" | "node_id" => Ok(GeneratedField::NodeId),
                            "voter" => Ok(GeneratedField::Voter),
                            "matchedIndex" | "matched_index" => Ok(GeneratedField::MatchedIndex),
                            "snapshotBytesSent" | "snapshot_bytes_sent" => Ok(GeneratedField::SnapshotBytesSent),
                            "snapshotBytesTotal" | "snapshot_bytes_total" => Ok(GeneratedField::SnapshotBytesTotal),
                            "snapshotBytesPerSecond" | "snapshot_bytes_per_second" => Ok(GeneratedField::SnapshotBytesPerSecond),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ReplicaProgress;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.ReplicaProgress")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<ReplicaProgress, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut node_id__ = None;
                let mut voter__ = None;
                let mut matched_index__ = None;
                let mut snapshot_bytes_sent__ = None;
                let mut snapshot_bytes_total__ = None;
                let mut snapshot_bytes_per_second__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::NodeId => {
                            if node_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("nodeId"));
                            }
                            node_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Voter => {
                            if voter__.is_some() {
                                return Err(serde::de::Error::duplicate_field("voter"));
                            }
                            voter__ = Some(map_.next_value()?);
                        }
                        GeneratedField::MatchedIndex => {
                            if matched_index__.is_some() {
                                return Err(serde::de::Error::duplicate_field("matchedIndex"));
                            }
                            matched_index__ = 
                                map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| x.0)
                            ;
                        }
                        GeneratedField::SnapshotBytesSent => {
                            if snapshot_bytes_sent__.is_some() {
                                return Err(serde::de::Error::duplicate_field("snapshotBytesSent"));
                            }
                            snapshot_bytes_sent__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::SnapshotBytesTotal => {
                            if snapshot_bytes_total__.is_some() {
                                return Err(serde::de::Error::duplicate_field("snapshotBytesTotal"));
                            }
                            snapshot_bytes_total__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::SnapshotBytesPerSecond => {
                            if snapshot_bytes_per_second__.is_some() {
                                return Err(serde::de::Error::duplicate_field("snapshotBytesPerSecond"));
                            }
                            snapshot_bytes_per_second__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                    }
                }
                Ok(ReplicaProgress {
                    node_id: node_id__.unwrap_or_default(),
                    voter: voter__.unwrap_or_default(),
                    matched_index: matched_index__,
                    snapshot_bytes_sent: snapshot_bytes_sent__.unwrap_or_default(),
                    snapshot_bytes_total: snapshot_bytes_total__.unwrap_or_default(),
                    snapshot_bytes_per_second: snapshot_bytes_per_second__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.ReplicaProgress", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for ReplicaStatus {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.node_id != 0 {
            len += 1;
        }
        if self.reachable {
            len += 1;
        }
        if self.role != 0 {
            len += 1;
        }
        if self.applied_index != 0 {
            len += 1;
        }
        if self.last_log_index != 0 {
            len += 1;
        }
        if self.lag != 0 {
            len += 1;
        }
        if self.data_digest != 0 {
            len += 1;
        }
        if self.digest_applied_index != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.ReplicaStatus", len)?;
        if self.node_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("nodeId", ToString::to_string(&self.node_id).as_str())?;
        }
        if self.reachable {
            struct_ser.serialize_field("reachable", &self.reachable)?;
        }
        if self.role != 0 {
            let v = GroupRole::try_from(self.role)
                .map_err(|_| serde::ser::Error::custom(format!("Invalid variant {}", self.role)))?;
            struct_ser.serialize_field("role", &v)?;
        }
        if self.applied_index != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("appliedIndex", ToString::to_string(&self.applied_index).as_str())?;
        }
        if self.last_log_index != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("lastLogIndex", ToString::to_string(&self.last_log_index).as_str())?;
        }
        if self.lag != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("lag", ToString::to_string(&self.lag).as_str())?;
        }
        if self.data_digest != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("dataDigest", ToString::to_string(&self.data_digest).as_str())?;
        }
        if self.digest_applied_index != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("digestAppliedIndex", ToString::to_string(&self.digest_applied_index).as_str())?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for ReplicaStatus {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "node_id",
            "nodeId",
            "reachable",
            "role",
            "applied_index",
            "appliedIndex",
            "last_log_index",
            "lastLogIndex",
            "lag",
            "data_digest",
            "dataDigest",
            "digest_applied_index",
            "digestAppliedIndex",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            NodeId,
            Reachable,
            Role,
            AppliedIndex,
            LastLogIndex,
            Lag,
            DataDigest,
            DigestAppliedIndex,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "nodeId" | "node_id" => Ok(GeneratedField::NodeId),
                            "reachable" => Ok(GeneratedField::Reachable),
                            "role" => Ok(GeneratedField::Role),
                            "appliedIndex" | "applied_index" => Ok(GeneratedField::AppliedIndex),
                            "lastLogIndex" | "last_log_index" => Ok(GeneratedField::LastLogIndex),
                            "lag" => Ok(GeneratedField::Lag),
                            "dataDigest" | "data_digest" => Ok(GeneratedField::DataDigest),
                            "digestAppliedIndex" | "digest_applied_index" => Ok(GeneratedField::DigestAppliedIndex),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ReplicaStatus;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.ReplicaStatus")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<ReplicaStatus, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut node_id__ = None;
                let mut reachable__ = None;
                let mut role__ = None;
                let mut applied_index__ = None;
                let mut last_log_index__ = None;
                let mut lag__ = None;
                let mut data_digest__ = None;
                let mut digest_applied_index__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::NodeId => {
                            if node_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("nodeId"));
                            }
                            node_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Reachable => {
                            if reachable__.is_some() {
                                return Err(serde::de::Error::duplicate_field("reachable"));
                            }
                            reachable__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Role => {
                            if role__.is_some() {
                                return Err(serde::de::Error::duplicate_field("role"));
                            }
                            role__ = Some(map_.next_value::<GroupRole>()? as i32);
                        }
                        GeneratedField::AppliedIndex => {
                            if applied_index__.is_some() {
                                return Err(serde::de::Error::duplicate_field("appliedIndex"));
                            }
                            applied_index__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::LastLogIndex => {
                            if last_log_index__.is_some() {
                                return Err(serde::de::Error::duplicate_field("lastLogIndex"));
                            }
                            last_log_index__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Lag => {
                            if lag__.is_some() {
                                return Err(serde::de::Error::duplicate_field("lag"));
                            }
                            lag__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::DataDigest => {
                            if data_digest__.is_some() {
                                return Err(serde::de::Error::duplicate_field("dataDigest"));
                            }
                            data_digest__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::DigestAppliedIndex => {
                            if digest_applied_index__.is_some() {
                                return Err(serde::de::Error::duplicate_field("digestAppliedIndex"));
                            }
                            digest_applied_index__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                    }
                }
                Ok(ReplicaStatus {
                    node_id: node_id__.unwrap_or_default(),
                    reachable: reachable__.unwrap_or_default(),
                    role: role__.unwrap_or_default(),
                    applied_index: applied_index__.unwrap_or_default(),
                    last_log_index: last_log_index__.unwrap_or_default(),
                    lag: lag__.unwrap_or_default(),
                    data_digest: data_digest__.unwrap_or_default(),
                    digest_applied_index: digest_applied_index__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.ReplicaStatus", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for RevokeApiKeyRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.id.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.RevokeApiKeyRequest", len)?;
        if !self.id.is_empty() {
            struct_ser.serialize_field("id", &self.id)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for RevokeApiKeyRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "id",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Id,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "id" => Ok(GeneratedField::Id),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = RevokeApiKeyRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.RevokeApiKeyRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<RevokeApiKeyRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut id__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Id => {
                            if id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("id"));
                            }
                            id__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(RevokeApiKeyRequest {
                    id: id__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.RevokeApiKeyRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for RevokeApiKeyResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.key.is_some() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.RevokeApiKeyResponse", len)?;
        if let Some(v) = self.key.as_ref() {
            struct_ser.serialize_field("key", v)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for RevokeApiKeyResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "key",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Key,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "key" => Ok(GeneratedField::Key),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = RevokeApiKeyResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.RevokeApiKeyResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<RevokeApiKeyResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut key__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Key => {
                            if key__.is_some() {
                                return Err(serde::de::Error::duplicate_field("key"));
                            }
                            key__ = map_.next_value()?;
                        }
                    }
                }
                Ok(RevokeApiKeyResponse {
                    key: key__,
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.RevokeApiKeyResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for ShardCheck {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.shard_id != 0 {
            len += 1;
        }
        if self.index != 0 {
            len += 1;
        }
        if !self.replicas.is_empty() {
            len += 1;
        }
        if !self.verdict.is_empty() {
            len += 1;
        }
        if !self.detail.is_empty() {
            len += 1;
        }
        if !self.marked_damaged.is_empty() {
            len += 1;
        }
        if self.elapsed_ms != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.ShardCheck", len)?;
        if self.shard_id != 0 {
            struct_ser.serialize_field("shardId", &self.shard_id)?;
        }
        if self.index != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("index", ToString::to_string(&self.index).as_str())?;
        }
        if !self.replicas.is_empty() {
            struct_ser.serialize_field("replicas", &self.replicas)?;
        }
        if !self.verdict.is_empty() {
            struct_ser.serialize_field("verdict", &self.verdict)?;
        }
        if !self.detail.is_empty() {
            struct_ser.serialize_field("detail", &self.detail)?;
        }
        if !self.marked_damaged.is_empty() {
            struct_ser.serialize_field("markedDamaged", &self.marked_damaged.iter().map(ToString::to_string).collect::<Vec<_>>())?;
        }
        if self.elapsed_ms != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("elapsedMs", ToString::to_string(&self.elapsed_ms).as_str())?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for ShardCheck {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "shard_id",
            "shardId",
            "index",
            "replicas",
            "verdict",
            "detail",
            "marked_damaged",
            "markedDamaged",
            "elapsed_ms",
            "elapsedMs",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            ShardId,
            Index,
            Replicas,
            Verdict,
            Detail,
            MarkedDamaged,
            ElapsedMs,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "shardId" | "shard_id" => Ok(GeneratedField::ShardId),
                            "index" => Ok(GeneratedField::Index),
                            "replicas" => Ok(GeneratedField::Replicas),
                            "verdict" => Ok(GeneratedField::Verdict),
                            "detail" => Ok(GeneratedField::Detail),
                            "markedDamaged" | "marked_damaged" => Ok(GeneratedField::MarkedDamaged),
                            "elapsedMs" | "elapsed_ms" => Ok(GeneratedField::ElapsedMs),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ShardCheck;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.ShardCheck")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<ShardCheck, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut shard_id__ = None;
                let mut index__ = None;
                let mut replicas__ = None;
                let mut verdict__ = None;
                let mut detail__ = None;
                let mut marked_damaged__ = None;
                let mut elapsed_ms__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::ShardId => {
                            if shard_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("shardId"));
                            }
                            shard_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Index => {
                            if index__.is_some() {
                                return Err(serde::de::Error::duplicate_field("index"));
                            }
                            index__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Replicas => {
                            if replicas__.is_some() {
                                return Err(serde::de::Error::duplicate_field("replicas"));
                            }
                            replicas__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Verdict => {
                            if verdict__.is_some() {
                                return Err(serde::de::Error::duplicate_field("verdict"));
                            }
                            verdict__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Detail => {
                            if detail__.is_some() {
                                return Err(serde::de::Error::duplicate_field("detail"));
                            }
                            detail__ = Some(map_.next_value()?);
                        }
                        GeneratedField::MarkedDamaged => {
                            if marked_damaged__.is_some() {
                                return Err(serde::de::Error::duplicate_field("markedDamaged"));
                            }
                            marked_damaged__ = 
                                Some(map_.next_value::<Vec<::pbjson::private::NumberDeserialize<_>>>()?
                                    .into_iter().map(|x| x.0).collect())
                            ;
                        }
                        GeneratedField::ElapsedMs => {
                            if elapsed_ms__.is_some() {
                                return Err(serde::de::Error::duplicate_field("elapsedMs"));
                            }
                            elapsed_ms__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                    }
                }
                Ok(ShardCheck {
                    shard_id: shard_id__.unwrap_or_default(),
                    index: index__.unwrap_or_default(),
                    replicas: replicas__.unwrap_or_default(),
                    verdict: verdict__.unwrap_or_default(),
                    detail: detail__.unwrap_or_default(),
                    marked_damaged: marked_damaged__.unwrap_or_default(),
                    elapsed_ms: elapsed_ms__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.ShardCheck", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for ShardPlacement {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.shard_id != 0 {
            len += 1;
        }
        if self.hash_start != 0 {
            len += 1;
        }
        if self.hash_end != 0 {
            len += 1;
        }
        if !self.replicas.is_empty() {
            len += 1;
        }
        if self.leader_id != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.ShardPlacement", len)?;
        if self.shard_id != 0 {
            struct_ser.serialize_field("shardId", &self.shard_id)?;
        }
        if self.hash_start != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("hashStart", ToString::to_string(&self.hash_start).as_str())?;
        }
        if self.hash_end != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("hashEnd", ToString::to_string(&self.hash_end).as_str())?;
        }
        if !self.replicas.is_empty() {
            struct_ser.serialize_field("replicas", &self.replicas)?;
        }
        if self.leader_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("leaderId", ToString::to_string(&self.leader_id).as_str())?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for ShardPlacement {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "shard_id",
            "shardId",
            "hash_start",
            "hashStart",
            "hash_end",
            "hashEnd",
            "replicas",
            "leader_id",
            "leaderId",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            ShardId,
            HashStart,
            HashEnd,
            Replicas,
            LeaderId,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "shardId" | "shard_id" => Ok(GeneratedField::ShardId),
                            "hashStart" | "hash_start" => Ok(GeneratedField::HashStart),
                            "hashEnd" | "hash_end" => Ok(GeneratedField::HashEnd),
                            "replicas" => Ok(GeneratedField::Replicas),
                            "leaderId" | "leader_id" => Ok(GeneratedField::LeaderId),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ShardPlacement;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.ShardPlacement")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<ShardPlacement, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut shard_id__ = None;
                let mut hash_start__ = None;
                let mut hash_end__ = None;
                let mut replicas__ = None;
                let mut leader_id__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::ShardId => {
                            if shard_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("shardId"));
                            }
                            shard_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::HashStart => {
                            if hash_start__.is_some() {
                                return Err(serde::de::Error::duplicate_field("hashStart"));
                            }
                            hash_start__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::HashEnd => {
                            if hash_end__.is_some() {
                                return Err(serde::de::Error::duplicate_field("hashEnd"));
                            }
                            hash_end__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Replicas => {
                            if replicas__.is_some() {
                                return Err(serde::de::Error::duplicate_field("replicas"));
                            }
                            replicas__ = Some(map_.next_value()?);
                        }
                        GeneratedField::LeaderId => {
                            if leader_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("leaderId"));
                            }
                            leader_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                    }
                }
                Ok(ShardPlacement {
                    shard_id: shard_id__.unwrap_or_default(),
                    hash_start: hash_start__.unwrap_or_default(),
                    hash_end: hash_end__.unwrap_or_default(),
                    replicas: replicas__.unwrap_or_default(),
                    leader_id: leader_id__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.ShardPlacement", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for ShardReplica {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.node_id != 0 {
            len += 1;
        }
        if !self.client_address.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.ShardReplica", len)?;
        if self.node_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("nodeId", ToString::to_string(&self.node_id).as_str())?;
        }
        if !self.client_address.is_empty() {
            struct_ser.serialize_field("clientAddress", &self.client_address)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for ShardReplica {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "node_id",
            "nodeId",
            "client_address",
            "clientAddress",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            NodeId,
            ClientAddress,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "nodeId" | "node_id" => Ok(GeneratedField::NodeId),
                            "clientAddress" | "client_address" => Ok(GeneratedField::ClientAddress),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ShardReplica;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.ShardReplica")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<ShardReplica, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut node_id__ = None;
                let mut client_address__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::NodeId => {
                            if node_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("nodeId"));
                            }
                            node_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::ClientAddress => {
                            if client_address__.is_some() {
                                return Err(serde::de::Error::duplicate_field("clientAddress"));
                            }
                            client_address__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(ShardReplica {
                    node_id: node_id__.unwrap_or_default(),
                    client_address: client_address__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.ShardReplica", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for ShardStatus {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.shard_id != 0 {
            len += 1;
        }
        if self.hash_start != 0 {
            len += 1;
        }
        if self.hash_end != 0 {
            len += 1;
        }
        if self.keys != 0 {
            len += 1;
        }
        if self.group.is_some() {
            len += 1;
        }
        if self.leader_id != 0 {
            len += 1;
        }
        if !self.replicas.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.ShardStatus", len)?;
        if self.shard_id != 0 {
            struct_ser.serialize_field("shardId", &self.shard_id)?;
        }
        if self.hash_start != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("hashStart", ToString::to_string(&self.hash_start).as_str())?;
        }
        if self.hash_end != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("hashEnd", ToString::to_string(&self.hash_end).as_str())?;
        }
        if self.keys != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("keys", ToString::to_string(&self.keys).as_str())?;
        }
        if let Some(v) = self.group.as_ref() {
            struct_ser.serialize_field("group", v)?;
        }
        if self.leader_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("leaderId", ToString::to_string(&self.leader_id).as_str())?;
        }
        if !self.replicas.is_empty() {
            struct_ser.serialize_field("replicas", &self.replicas)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for ShardStatus {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "shard_id",
            "shardId",
            "hash_start",
            "hashStart",
            "hash_end",
            "hashEnd",
            "keys",
            "group",
            "leader_id",
            "leaderId",
            "replicas",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            ShardId,
            HashStart,
            HashEnd,
            Keys,
            Group,
            LeaderId,
            Replicas,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "shardId" | "shard_id" => Ok(GeneratedField::ShardId),
                            "hashStart" | "hash_start" => Ok(GeneratedField::HashStart),
                            "hashEnd" | "hash_end" => Ok(GeneratedField::HashEnd),
                            "keys" => Ok(GeneratedField::Keys),
                            "group" => Ok(GeneratedField::Group),
                            "leaderId" | "leader_id" => Ok(GeneratedField::LeaderId),
                            "replicas" => Ok(GeneratedField::Replicas),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = ShardStatus;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.ShardStatus")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<ShardStatus, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut shard_id__ = None;
                let mut hash_start__ = None;
                let mut hash_end__ = None;
                let mut keys__ = None;
                let mut group__ = None;
                let mut leader_id__ = None;
                let mut replicas__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::ShardId => {
                            if shard_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("shardId"));
                            }
                            shard_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::HashStart => {
                            if hash_start__.is_some() {
                                return Err(serde::de::Error::duplicate_field("hashStart"));
                            }
                            hash_start__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::HashEnd => {
                            if hash_end__.is_some() {
                                return Err(serde::de::Error::duplicate_field("hashEnd"));
                            }
                            hash_end__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Keys => {
                            if keys__.is_some() {
                                return Err(serde::de::Error::duplicate_field("keys"));
                            }
                            keys__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Group => {
                            if group__.is_some() {
                                return Err(serde::de::Error::duplicate_field("group"));
                            }
                            group__ = map_.next_value()?;
                        }
                        GeneratedField::LeaderId => {
                            if leader_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("leaderId"));
                            }
                            leader_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Replicas => {
                            if replicas__.is_some() {
                                return Err(serde::de::Error::duplicate_field("replicas"));
                            }
                            replicas__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(ShardStatus {
                    shard_id: shard_id__.unwrap_or_default(),
                    hash_start: hash_start__.unwrap_or_default(),
                    hash_end: hash_end__.unwrap_or_default(),
                    keys: keys__.unwrap_or_default(),
                    group: group__,
                    leader_id: leader_id__.unwrap_or_default(),
                    replicas: replicas__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.ShardStatus", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for StatusRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.local_only {
            len += 1;
        }
        if self.with_digests {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.StatusRequest", len)?;
        if self.local_only {
            struct_ser.serialize_field("localOnly", &self.local_only)?;
        }
        if self.with_digests {
            struct_ser.serialize_field("withDigests", &self.with_digests)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for StatusRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "local_only",
            "localOnly",
            "with_digests",
            "withDigests",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            LocalOnly,
            WithDigests,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "localOnly" | "local_only" => Ok(GeneratedField::LocalOnly),
                            "withDigests" | "with_digests" => Ok(GeneratedField::WithDigests),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = StatusRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.StatusRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<StatusRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut local_only__ = None;
                let mut with_digests__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::LocalOnly => {
                            if local_only__.is_some() {
                                return Err(serde::de::Error::duplicate_field("localOnly"));
                            }
                            local_only__ = Some(map_.next_value()?);
                        }
                        GeneratedField::WithDigests => {
                            if with_digests__.is_some() {
                                return Err(serde::de::Error::duplicate_field("withDigests"));
                            }
                            with_digests__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(StatusRequest {
                    local_only: local_only__.unwrap_or_default(),
                    with_digests: with_digests__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.StatusRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for StatusResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.node_id != 0 {
            len += 1;
        }
        if !self.node_name.is_empty() {
            len += 1;
        }
        if !self.version.is_empty() {
            len += 1;
        }
        if self.ready {
            len += 1;
        }
        if self.shard_map_epoch != 0 {
            len += 1;
        }
        if self.meta.is_some() {
            len += 1;
        }
        if !self.shards.is_empty() {
            len += 1;
        }
        if self.storage.is_some() {
            len += 1;
        }
        if !self.cluster_id.is_empty() {
            len += 1;
        }
        if !self.nodes.is_empty() {
            len += 1;
        }
        if self.meta_leader_id != 0 {
            len += 1;
        }
        if self.meta_term != 0 {
            len += 1;
        }
        if self.rss_bytes != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.StatusResponse", len)?;
        if self.node_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("nodeId", ToString::to_string(&self.node_id).as_str())?;
        }
        if !self.node_name.is_empty() {
            struct_ser.serialize_field("nodeName", &self.node_name)?;
        }
        if !self.version.is_empty() {
            struct_ser.serialize_field("version", &self.version)?;
        }
        if self.ready {
            struct_ser.serialize_field("ready", &self.ready)?;
        }
        if self.shard_map_epoch != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("shardMapEpoch", ToString::to_string(&self.shard_map_epoch).as_str())?;
        }
        if let Some(v) = self.meta.as_ref() {
            struct_ser.serialize_field("meta", v)?;
        }
        if !self.shards.is_empty() {
            struct_ser.serialize_field("shards", &self.shards)?;
        }
        if let Some(v) = self.storage.as_ref() {
            struct_ser.serialize_field("storage", v)?;
        }
        if !self.cluster_id.is_empty() {
            struct_ser.serialize_field("clusterId", &self.cluster_id)?;
        }
        if !self.nodes.is_empty() {
            struct_ser.serialize_field("nodes", &self.nodes)?;
        }
        if self.meta_leader_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("metaLeaderId", ToString::to_string(&self.meta_leader_id).as_str())?;
        }
        if self.meta_term != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("metaTerm", ToString::to_string(&self.meta_term).as_str())?;
        }
        if self.rss_bytes != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("rssBytes", ToString::to_string(&self.rss_bytes).as_str())?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for StatusResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "node_id",
            "nodeId",
            "node_name",
            "nodeName",
            "version",
            "ready",
            "shard_map_epoch",
            "shardMapEpoch",
            "meta",
            "shards",
            "storage",
            "cluster_id",
            "clusterId",
            "nodes",
            "meta_leader_id",
            "metaLeaderId",
            "meta_term",
            "metaTerm",
            "rss_bytes",
            "rssBytes",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            NodeId,
            NodeName,
            Version,
            Ready,
            ShardMapEpoch,
            Meta,
            Shards,
            Storage,
            ClusterId,
            Nodes,
            MetaLeaderId,
            MetaTerm,
            RssBytes,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "nodeId" | "node_id" => Ok(GeneratedField::NodeId),
                            "nodeName" | "node_name" => Ok(GeneratedField::NodeName),
                            "version" => Ok(GeneratedField::Version),
                            "ready" => Ok(GeneratedField::Ready),
                            "shardMapEpoch" | "shard_map_epoch" => Ok(GeneratedField::ShardMapEpoch),
                            "meta" => Ok(GeneratedField::Meta),
                            "shards" => Ok(GeneratedField::Shards),
                            "storage" => Ok(GeneratedField::Storage),
                            "clusterId" | "cluster_id" => Ok(GeneratedField::ClusterId),
                            "nodes" => Ok(GeneratedField::Nodes),
                            "metaLeaderId" | "meta_leader_id" => Ok(GeneratedField::MetaLeaderId),
                            "metaTerm" | "meta_term" => Ok(GeneratedField::MetaTerm),
                            "rssBytes" | "rss_bytes" => Ok(GeneratedField::RssBytes),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = StatusResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.StatusResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<StatusResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut node_id__ = None;
                let mut node_name__ = None;
                let mut version__ = None;
                let mut ready__ = None;
                let mut shard_map_epoch__ = None;
                let mut meta__ = None;
                let mut shards__ = None;
                let mut storage__ = None;
                let mut cluster_id__ = None;
                let mut nodes__ = None;
                let mut meta_leader_id__ = None;
                let mut meta_term__ = None;
                let mut rss_bytes__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::NodeId => {
                            if node_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("nodeId"));
                            }
                            node_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::NodeName => {
                            if node_name__.is_some() {
                                return Err(serde::de::Error::duplicate_field("nodeName"));
                            }
                            node_name__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Version => {
                            if version__.is_some() {
                                return Err(serde::de::Error::duplicate_field("version"));
                            }
                            version__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Ready => {
                            if ready__.is_some() {
                                return Err(serde::de::Error::duplicate_field("ready"));
                            }
                            ready__ = Some(map_.next_value()?);
                        }
                        GeneratedField::ShardMapEpoch => {
                            if shard_map_epoch__.is_some() {
                                return Err(serde::de::Error::duplicate_field("shardMapEpoch"));
                            }
                            shard_map_epoch__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Meta => {
                            if meta__.is_some() {
                                return Err(serde::de::Error::duplicate_field("meta"));
                            }
                            meta__ = map_.next_value()?;
                        }
                        GeneratedField::Shards => {
                            if shards__.is_some() {
                                return Err(serde::de::Error::duplicate_field("shards"));
                            }
                            shards__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Storage => {
                            if storage__.is_some() {
                                return Err(serde::de::Error::duplicate_field("storage"));
                            }
                            storage__ = map_.next_value()?;
                        }
                        GeneratedField::ClusterId => {
                            if cluster_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("clusterId"));
                            }
                            cluster_id__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Nodes => {
                            if nodes__.is_some() {
                                return Err(serde::de::Error::duplicate_field("nodes"));
                            }
                            nodes__ = Some(map_.next_value()?);
                        }
                        GeneratedField::MetaLeaderId => {
                            if meta_leader_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("metaLeaderId"));
                            }
                            meta_leader_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::MetaTerm => {
                            if meta_term__.is_some() {
                                return Err(serde::de::Error::duplicate_field("metaTerm"));
                            }
                            meta_term__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::RssBytes => {
                            if rss_bytes__.is_some() {
                                return Err(serde::de::Error::duplicate_field("rssBytes"));
                            }
                            rss_bytes__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                    }
                }
                Ok(StatusResponse {
                    node_id: node_id__.unwrap_or_default(),
                    node_name: node_name__.unwrap_or_default(),
                    version: version__.unwrap_or_default(),
                    ready: ready__.unwrap_or_default(),
                    shard_map_epoch: shard_map_epoch__.unwrap_or_default(),
                    meta: meta__,
                    shards: shards__.unwrap_or_default(),
                    storage: storage__,
                    cluster_id: cluster_id__.unwrap_or_default(),
                    nodes: nodes__.unwrap_or_default(),
                    meta_leader_id: meta_leader_id__.unwrap_or_default(),
                    meta_term: meta_term__.unwrap_or_default(),
                    rss_bytes: rss_bytes__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.StatusResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for StorageStatus {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.commits != 0 {
            len += 1;
        }
        if self.durable_commits != 0 {
            len += 1;
        }
        if self.entries_appended != 0 {
            len += 1;
        }
        if self.file_bytes != 0 {
            len += 1;
        }
        if self.log_commits != 0 {
            len += 1;
        }
        if self.log_fsyncs != 0 {
            len += 1;
        }
        if self.state_commits != 0 {
            len += 1;
        }
        if self.state_fsyncs != 0 {
            len += 1;
        }
        if self.log_file_bytes != 0 {
            len += 1;
        }
        if self.state_file_bytes != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.StorageStatus", len)?;
        if self.commits != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("commits", ToString::to_string(&self.commits).as_str())?;
        }
        if self.durable_commits != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("durableCommits", ToString::to_string(&self.durable_commits).as_str())?;
        }
        if self.entries_appended != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("entriesAppended", ToString::to_string(&self.entries_appended).as_str())?;
        }
        if self.file_bytes != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("fileBytes", ToString::to_string(&self.file_bytes).as_str())?;
        }
        if self.log_commits != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("logCommits", ToString::to_string(&self.log_commits).as_str())?;
        }
        if self.log_fsyncs != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("logFsyncs", ToString::to_string(&self.log_fsyncs).as_str())?;
        }
        if self.state_commits != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("stateCommits", ToString::to_string(&self.state_commits).as_str())?;
        }
        if self.state_fsyncs != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("stateFsyncs", ToString::to_string(&self.state_fsyncs).as_str())?;
        }
        if self.log_file_bytes != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("logFileBytes", ToString::to_string(&self.log_file_bytes).as_str())?;
        }
        if self.state_file_bytes != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("stateFileBytes", ToString::to_string(&self.state_file_bytes).as_str())?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for StorageStatus {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "commits",
            "durable_commits",
            "durableCommits",
            "entries_appended",
            "entriesAppended",
            "file_bytes",
            "fileBytes",
            "log_commits",
            "logCommits",
            "log_fsyncs",
            "logFsyncs",
            "state_commits",
            "stateCommits",
            "state_fsyncs",
            "stateFsyncs",
            "log_file_bytes",
            "logFileBytes",
            "state_file_bytes",
            "stateFileBytes",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Commits,
            DurableCommits,
            EntriesAppended,
            FileBytes,
            LogCommits,
            LogFsyncs,
            StateCommits,
            StateFsyncs,
            LogFileBytes,
            StateFileBytes,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "commits" => Ok(GeneratedField::Commits),
                            "durableCommits" | "durable_commits" => Ok(GeneratedField::DurableCommits),
                            "entriesAppended" | "entries_appended" => Ok(GeneratedField::EntriesAppended),
                            "fileBytes" | "file_bytes" => Ok(GeneratedField::FileBytes),
                            "logCommits" | "log_commits" => Ok(GeneratedField::LogCommits),
                            "logFsyncs" | "log_fsyncs" => Ok(GeneratedField::LogFsyncs),
                            "stateCommits" | "state_commits" => Ok(GeneratedField::StateCommits),
                            "stateFsyncs" | "state_fsyncs" => Ok(GeneratedField::StateFsyncs),
                            "logFileBytes" | "log_file_bytes" => Ok(GeneratedField::LogFileBytes),
                            "stateFileBytes" | "state_file_bytes" => Ok(GeneratedField::StateFileBytes),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = StorageStatus;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.StorageStatus")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<StorageStatus, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut commits__ = None;
                let mut durable_commits__ = None;
                let mut entries_appended__ = None;
                let mut file_bytes__ = None;
                let mut log_commits__ = None;
                let mut log_fsyncs__ = None;
                let mut state_commits__ = None;
                let mut state_fsyncs__ = None;
                let mut log_file_bytes__ = None;
                let mut state_file_bytes__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Commits => {
                            if commits__.is_some() {
                                return Err(serde::de::Error::duplicate_field("commits"));
                            }
                            commits__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::DurableCommits => {
                            if durable_commits__.is_some() {
                                return Err(serde::de::Error::duplicate_field("durableCommits"));
                            }
                            durable_commits__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::EntriesAppended => {
                            if entries_appended__.is_some() {
                                return Err(serde::de::Error::duplicate_field("entriesAppended"));
                            }
                            entries_appended__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::FileBytes => {
                            if file_bytes__.is_some() {
                                return Err(serde::de::Error::duplicate_field("fileBytes"));
                            }
                            file_bytes__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::LogCommits => {
                            if log_commits__.is_some() {
                                return Err(serde::de::Error::duplicate_field("logCommits"));
                            }
                            log_commits__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::LogFsyncs => {
                            if log_fsyncs__.is_some() {
                                return Err(serde::de::Error::duplicate_field("logFsyncs"));
                            }
                            log_fsyncs__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::StateCommits => {
                            if state_commits__.is_some() {
                                return Err(serde::de::Error::duplicate_field("stateCommits"));
                            }
                            state_commits__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::StateFsyncs => {
                            if state_fsyncs__.is_some() {
                                return Err(serde::de::Error::duplicate_field("stateFsyncs"));
                            }
                            state_fsyncs__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::LogFileBytes => {
                            if log_file_bytes__.is_some() {
                                return Err(serde::de::Error::duplicate_field("logFileBytes"));
                            }
                            log_file_bytes__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::StateFileBytes => {
                            if state_file_bytes__.is_some() {
                                return Err(serde::de::Error::duplicate_field("stateFileBytes"));
                            }
                            state_file_bytes__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                    }
                }
                Ok(StorageStatus {
                    commits: commits__.unwrap_or_default(),
                    durable_commits: durable_commits__.unwrap_or_default(),
                    entries_appended: entries_appended__.unwrap_or_default(),
                    file_bytes: file_bytes__.unwrap_or_default(),
                    log_commits: log_commits__.unwrap_or_default(),
                    log_fsyncs: log_fsyncs__.unwrap_or_default(),
                    state_commits: state_commits__.unwrap_or_default(),
                    state_fsyncs: state_fsyncs__.unwrap_or_default(),
                    log_file_bytes: log_file_bytes__.unwrap_or_default(),
                    state_file_bytes: state_file_bytes__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.StorageStatus", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for TouchRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.key.is_empty() {
            len += 1;
        }
        if self.ttl_ms != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.TouchRequest", len)?;
        if !self.key.is_empty() {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("key", pbjson::private::base64::encode(&self.key).as_str())?;
        }
        if self.ttl_ms != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("ttlMs", ToString::to_string(&self.ttl_ms).as_str())?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for TouchRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "key",
            "ttl_ms",
            "ttlMs",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Key,
            TtlMs,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "key" => Ok(GeneratedField::Key),
                            "ttlMs" | "ttl_ms" => Ok(GeneratedField::TtlMs),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = TouchRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.TouchRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<TouchRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut key__ = None;
                let mut ttl_ms__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Key => {
                            if key__.is_some() {
                                return Err(serde::de::Error::duplicate_field("key"));
                            }
                            key__ = 
                                Some(map_.next_value::<::pbjson::private::BytesDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::TtlMs => {
                            if ttl_ms__.is_some() {
                                return Err(serde::de::Error::duplicate_field("ttlMs"));
                            }
                            ttl_ms__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                    }
                }
                Ok(TouchRequest {
                    key: key__.unwrap_or_default(),
                    ttl_ms: ttl_ms__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.TouchRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for TouchResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.found {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.TouchResponse", len)?;
        if self.found {
            struct_ser.serialize_field("found", &self.found)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for TouchResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "found",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Found,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "found" => Ok(GeneratedField::Found),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = TouchResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.TouchResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<TouchResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut found__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Found => {
                            if found__.is_some() {
                                return Err(serde::de::Error::duplicate_field("found"));
                            }
                            found__ = Some(map_.next_value()?);
                        }
                    }
                }
                Ok(TouchResponse {
                    found: found__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.TouchResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for TransferLeaderRequest {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.to_node != 0 {
            len += 1;
        }
        if self.group.is_some() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.TransferLeaderRequest", len)?;
        if self.to_node != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("toNode", ToString::to_string(&self.to_node).as_str())?;
        }
        if let Some(v) = self.group.as_ref() {
            match v {
                transfer_leader_request::Group::ShardId(v) => {
                    struct_ser.serialize_field("shardId", v)?;
                }
                transfer_leader_request::Group::Meta(v) => {
                    struct_ser.serialize_field("meta", v)?;
                }
            }
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for TransferLeaderRequest {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "to_node",
            "toNode",
            "shard_id",
            "shardId",
            "meta",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            ToNode,
            ShardId,
            Meta,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "toNode" | "to_node" => Ok(GeneratedField::ToNode),
                            "shardId" | "shard_id" => Ok(GeneratedField::ShardId),
                            "meta" => Ok(GeneratedField::Meta),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = TransferLeaderRequest;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.TransferLeaderRequest")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<TransferLeaderRequest, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut to_node__ = None;
                let mut group__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::ToNode => {
                            if to_node__.is_some() {
                                return Err(serde::de::Error::duplicate_field("toNode"));
                            }
                            to_node__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::ShardId => {
                            if group__.is_some() {
                                return Err(serde::de::Error::duplicate_field("shardId"));
                            }
                            group__ = map_.next_value::<::std::option::Option<::pbjson::private::NumberDeserialize<_>>>()?.map(|x| transfer_leader_request::Group::ShardId(x.0));
                        }
                        GeneratedField::Meta => {
                            if group__.is_some() {
                                return Err(serde::de::Error::duplicate_field("meta"));
                            }
                            group__ = map_.next_value::<::std::option::Option<_>>()?.map(transfer_leader_request::Group::Meta);
                        }
                    }
                }
                Ok(TransferLeaderRequest {
                    to_node: to_node__.unwrap_or_default(),
                    group: group__,
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.TransferLeaderRequest", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for TransferLeaderResponse {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if self.leader_id != 0 {
            len += 1;
        }
        if self.term != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.TransferLeaderResponse", len)?;
        if self.leader_id != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("leaderId", ToString::to_string(&self.leader_id).as_str())?;
        }
        if self.term != 0 {
            #[allow(clippy::needless_borrow)]
            #[allow(clippy::needless_borrows_for_generic_args)]
            struct_ser.serialize_field("term", ToString::to_string(&self.term).as_str())?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for TransferLeaderResponse {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "leader_id",
            "leaderId",
            "term",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            LeaderId,
            Term,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "leaderId" | "leader_id" => Ok(GeneratedField::LeaderId),
                            "term" => Ok(GeneratedField::Term),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = TransferLeaderResponse;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.TransferLeaderResponse")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<TransferLeaderResponse, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut leader_id__ = None;
                let mut term__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::LeaderId => {
                            if leader_id__.is_some() {
                                return Err(serde::de::Error::duplicate_field("leaderId"));
                            }
                            leader_id__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::Term => {
                            if term__.is_some() {
                                return Err(serde::de::Error::duplicate_field("term"));
                            }
                            term__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                    }
                }
                Ok(TransferLeaderResponse {
                    leader_id: leader_id__.unwrap_or_default(),
                    term: term__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.TransferLeaderResponse", FIELDS, GeneratedVisitor)
    }
}
impl serde::Serialize for VoterSet {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.voters.is_empty() {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shoal.v1.VoterSet", len)?;
        if !self.voters.is_empty() {
            struct_ser.serialize_field("voters", &self.voters.iter().map(ToString::to_string).collect::<Vec<_>>())?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for VoterSet {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "voters",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Voters,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "voters" => Ok(GeneratedField::Voters),
                            _ => Err(serde::de::Error::unknown_field(value, FIELDS)),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = VoterSet;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shoal.v1.VoterSet")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<VoterSet, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut voters__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Voters => {
                            if voters__.is_some() {
                                return Err(serde::de::Error::duplicate_field("voters"));
                            }
                            voters__ = 
                                Some(map_.next_value::<Vec<::pbjson::private::NumberDeserialize<_>>>()?
                                    .into_iter().map(|x| x.0).collect())
                            ;
                        }
                    }
                }
                Ok(VoterSet {
                    voters: voters__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shoal.v1.VoterSet", FIELDS, GeneratedVisitor)
    }
}
