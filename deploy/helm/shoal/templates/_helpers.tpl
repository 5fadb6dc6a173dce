{{/* Names. */}}
{{- define "shoal.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "shoal.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The headless Service: stable DNS names for the pods, published before they are ready. */}}
{{- define "shoal.peers" -}}
{{- printf "%s-peers" (include "shoal.fullname" .) -}}
{{- end -}}

{{- define "shoal.domain" -}}
{{- printf "%s.%s.svc.%s" (include "shoal.peers" .) .Release.Namespace .Values.clusterDomain -}}
{{- end -}}

{{- define "shoal.selectorLabels" -}}
app.kubernetes.io/name: {{ include "shoal.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "shoal.labels" -}}
{{ include "shoal.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "shoal.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Secrets: the one holding ca.crt, tls.crt and tls.key; the gossip key; the admin key. */}}
{{- define "shoal.tlsSecret" -}}
{{- if eq .Values.tls.source "existingSecret" -}}
{{- required "tls.existingSecret must name a Secret when tls.source is existingSecret" .Values.tls.existingSecret -}}
{{- else -}}
{{- printf "%s-tls" (include "shoal.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "shoal.gossipSecret" -}}
{{- default (printf "%s-gossip-key" (include "shoal.fullname" .)) .Values.tls.gossipKeySecret -}}
{{- end -}}

{{- define "shoal.adminSecret" -}}
{{- default (printf "%s-admin-key" (include "shoal.fullname" .)) .Values.auth.bootstrapKeySecret -}}
{{- end -}}

{{/* Every name a node's certificate must carry: any pod of the headless Service, the
client Service, and loopback (the probes inside the pod). */}}
{{- define "shoal.certNames" -}}
{{- $full := include "shoal.fullname" . -}}
{{- $ns := .Release.Namespace -}}
{{- list (printf "*.%s" (include "shoal.domain" .)) (printf "*.%s.%s.svc" (include "shoal.peers" .) $ns) (printf "%s.%s.svc.%s" $full $ns .Values.clusterDomain) (printf "%s.%s.svc" $full $ns) (printf "%s.%s" $full $ns) $full "localhost" | toJson -}}
{{- end -}}

{{/* The node configuration (shoal.toml): what every pod shares. Each pod's own name,
advertised address and zone come from its environment (SHOAL_CLUSTER__*). */}}
{{- define "shoal.config" -}}
{{- $seeds := list -}}
{{- range $i := until (int .Values.replicas) -}}
{{- $seeds = append $seeds (printf "%s-%d.%s:5345" (include "shoal.fullname" $) $i (include "shoal.domain" $)) -}}
{{- end -}}
{{- $server := dict "data_dir" "/data" "client_listen" "0.0.0.0:5344" "admin_listen" "0.0.0.0:9343" -}}
{{- $cluster := dict "enabled" true "listen_address" "0.0.0.0:5343" "gossip_listen" "0.0.0.0:5345" -}}
{{- $_ := set $cluster "discovery" (dict "seeds" $seeds) -}}
{{- $_ := set $cluster "bootstrap" (dict "expect_nodes" (int .Values.replicas)) -}}
{{- $_ := set $cluster "data" (dict "shards" (int .Values.cluster.shards) "replication_factor" (int .Values.cluster.replicationFactor)) -}}
{{- $_ := set $cluster "rebalance" (dict "max_rate" .Values.cluster.rebalanceMaxRate) -}}
{{- $_ := set $cluster "failure" (dict "replace_after" .Values.cluster.replaceAfter) -}}
{{- $_ := set $cluster "shutdown" (dict "timeout" .Values.cluster.shutdownTimeout) -}}
{{- if .Values.tls.enabled -}}
{{- $_ := set $server "tls" (dict "cert_file" "/etc/shoal/tls/tls.crt" "key_file" "/etc/shoal/tls/tls.key") -}}
{{- $_ := set $cluster "tls" (dict "cert_file" "/etc/shoal/tls/tls.crt" "key_file" "/etc/shoal/tls/tls.key" "client_ca_file" "/etc/shoal/tls/ca.crt") -}}
{{- $_ := set $cluster "gossip" (dict "key_file" "/etc/shoal/gossip/gossip.key") -}}
{{- else -}}
{{- $_ := set $cluster "insecure" true -}}
{{- end -}}
{{- if .Values.auth.enabled -}}
{{- $_ := set $server "auth" (dict "enabled" true "bootstrap_key_file" "/etc/shoal/admin/admin.key") -}}
{{- end -}}
{{- $config := dict "server" $server "cluster" $cluster -}}
{{- $extra := deepCopy .Values.extraConfig -}}
{{- include "shoal.intify" $extra -}}
{{- $config = mergeOverwrite $config $extra -}}
{{- toToml $config -}}
{{- end -}}

{{/* Seconds in a duration of the form 30s, 2m or 1h (the shoal config's own form). */}}
{{- define "shoal.seconds" -}}
{{- $d := toString . -}}
{{- if hasSuffix "ms" $d -}}1
{{- else if hasSuffix "s" $d -}}{{ trimSuffix "s" $d | int }}
{{- else if hasSuffix "m" $d -}}{{ mul (trimSuffix "m" $d | int) 60 }}
{{- else if hasSuffix "h" $d -}}{{ mul (trimSuffix "h" $d | int) 3600 }}
{{- else -}}{{ fail (printf "cluster.shutdownTimeout %q: use s, m or h, e.g. 30s" $d) }}
{{- end -}}
{{- end -}}

{{/* Whole numbers in a map (nested maps too) as integers, in place: values arrive as
floating-point numbers, and shoal's integer keys refuse a TOML float. */}}
{{- define "shoal.intify" -}}
{{- range $key, $value := . -}}
{{- if kindIs "map" $value -}}
{{- include "shoal.intify" $value -}}
{{- else if and (kindIs "float64" $value) (eq (floor $value) $value) -}}
{{- $_ := set $ $key (int64 $value) -}}
{{- end -}}
{{- end -}}
{{- end -}}
