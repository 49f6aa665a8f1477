# Marsad image: the official Airflow 3.3.2 image plus the project's pinned requirements and package.
FROM apache/airflow:3.3.2-python3.11
USER root
COPY --chown=airflow:root . /opt/marsad
USER airflow
RUN pip install --no-cache-dir -r /opt/marsad/requirements.txt \
 && pip install --no-cache-dir --no-deps -e /opt/marsad
ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/marsad/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/marsad/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False
WORKDIR /opt/marsad
